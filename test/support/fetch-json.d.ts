// Tests read JSON bodies of many shapes and assert on them; `any` keeps those assertions terse.
declare global {
  interface Response {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json(): Promise<any>;
  }
}

export {};
