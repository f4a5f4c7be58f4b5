/**
 * The architecture comparison's other side: FetchFunction served by a function of its own, as the build routes are, instead
 * of by the `functions` function (15 routes): the same operation from the same modules and the same Middy chain
 * (`httpRoutes`), the other 14 routes left out. The cold start serves both the same FetchFunction request.
 */
import { config } from '../lambda/config';
import { FUNCTIONS, loadDeployable } from '../lambda/http/deployables';
import { httpRoutes, json } from '../lambda/http/middleware';
import { baseUrlOf } from '../lambda/http/urls';
import { accounts } from '../lambda/store';

export const handler = httpRoutes(accounts, {
  FetchFunction: {
    handler: async (event, context) =>
      json(200, FUNCTIONS.render((await loadDeployable(event, context, FUNCTIONS, 'Sid')).parent, baseUrlOf(event, config.publicBaseUrl))),
  },
});
