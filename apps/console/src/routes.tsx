/**
 * The console's pages: which page a hash route shows (`#/<section>/<id>`), and which sections the
 * navigation offers to whom. The first route that matches wins; anything else is the campaign list.
 */
import type { ReactNode } from 'react';
import type { Api, Role, Session } from './api';
import { Admin } from './pages/Admin';
import { CampaignList } from './pages/CampaignList';
import { CampaignPage } from './pages/CampaignPage';
import { Commissions, ReviewQueue } from './pages/Commissions';
import { Webhooks } from './pages/Webhooks';
import { Earnings } from './pages/Earnings';
import { Flow } from './pages/Flow';
import { NewCampaign } from './pages/NewCampaign';

export interface PageContext {
  api: Api;
  session: Session;
  /** the route's second part, if any */
  id?: string;
}

const is = (session: Session, ...roles: Role[]) => roles.some((r) => session.roles.includes(r));

interface Route {
  section: string;
  when?: (ctx: PageContext) => boolean;
  page: (ctx: PageContext) => ReactNode;
}

const ROUTES: Route[] = [
  { section: 'campaigns', when: ({ id }) => id === 'new', page: ({ api }) => <NewCampaign api={api} /> },
  {
    section: 'campaigns',
    when: ({ id }) => id !== undefined,
    page: ({ api, session, id = '' }) => <CampaignPage key={id} api={api} session={session} id={id} />,
  },
  { section: 'earnings', page: ({ api, session }) => <Earnings api={api} session={session} /> },
  { section: 'commissions', page: ({ api }) => <Commissions api={api} /> },
  { section: 'review', page: ({ api }) => <ReviewQueue api={api} /> },
  { section: 'webhooks', page: ({ api, session }) => <Webhooks api={api} session={session} /> },
  { section: 'admin', when: ({ session }) => is(session, 'admin'), page: ({ api }) => <Admin api={api} /> },
  {
    section: 'flows',
    when: ({ id }) => id !== undefined,
    page: ({ api, id = '' }) => <Flow api={api} correlationId={id} />,
  },
];

export function pageFor(section: string | undefined, ctx: PageContext): ReactNode {
  const route = ROUTES.find((r) => r.section === section && (r.when?.(ctx) ?? true));
  return route ? route.page(ctx) : <CampaignList api={ctx.api} session={ctx.session} />;
}

/** The navigation: each section's label and who sees it. */
export const NAV: Array<{ section: string; label: string; shown: (session: Session) => boolean }> = [
  { section: 'campaigns', label: 'Campaigns', shown: () => true },
  { section: 'commissions', label: 'Commissions', shown: (s) => is(s, 'brand', 'admin') },
  { section: 'review', label: 'Review queue', shown: (s) => is(s, 'brand', 'admin') },
  { section: 'earnings', label: 'Earnings', shown: (s) => is(s, 'influencer', 'admin') },
  { section: 'webhooks', label: 'Webhooks', shown: (s) => is(s, 'brand', 'influencer') },
  { section: 'admin', label: 'Dead letters', shown: (s) => is(s, 'admin') },
];
