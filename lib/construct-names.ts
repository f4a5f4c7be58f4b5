/** `create-build` → `CreateBuild`: a function entry's name as a construct id (and the alarms named after it). */
export const pascalCase = (name: string): string => name.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
