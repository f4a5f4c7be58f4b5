import { config } from '../config';
import { ContentTooLarge } from '../domain/errors';
import { uploadVersionBody } from '../domain/schema';
import { parsedOrThrow } from '../http/access';
import { ASSETS, type DeployableResource, FUNCTIONS, loadDeployable } from '../http/deployables';
import { businessMetrics } from '../http/metrics';
import { type ApiContext, type ApiEvent, httpRoutes, json } from '../http/middleware';
import { multipartBody } from '../http/multipart';
import { baseUrlOf } from '../http/urls';
import { accounts, content, deployables } from '../store';
import { uploadVersion } from '../use-cases/deployables';

/** Twilio's upload host's POST …/Versions: a multipart body of Path, Visibility and Content → 201. */
const upload = (resource: DeployableResource) => ({
  body: 'multipart' as const,
  handler: async (event: ApiEvent, context: ApiContext) => {
    const { parent } = await loadDeployable(event, context, resource, resource.parentParam);
    const request = parsedOrThrow(uploadVersionBody.safeParse(event.body));
    // A file part over the limit is refused by the parser; Content sent as a plain field is checked here.
    if (request.Content.bytes.length > config.maxContentBytes) throw new ContentTooLarge(config.maxContentBytes);
    const version = await uploadVersion({ deployables, content }, resource.kind, parent, request, new Date());
    businessMetrics.upload(context.credentials.accountSid, request.Content.bytes.length);
    return json(201, resource.renderVersion(version, baseUrlOf(event, config.publicBaseUrl)));
  },
});

/** POST /v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions and …/Assets/{AssetSid}/Versions. */
export const handler = httpRoutes(accounts, { CreateFunctionVersion: upload(FUNCTIONS), CreateAssetVersion: upload(ASSETS) }, { multipart: multipartBody() });
