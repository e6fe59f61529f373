import { useState, type FormEvent } from 'react';
import { type Api, type CommissionRule } from '../api';
import { Timeline } from '../components/Timeline';
import { Choice, ErrorNote, MoneyFields } from '../components/ui';
import { go, messageOf, type Started } from '../hooks';

type RuleKind = 'conversion-percent' | 'conversion-fixed' | 'lead-fixed' | 'click-fixed' | 'impression-per_mille';

interface RuleDraft {
  kind: RuleKind;
  value: string;
  /** conversion rules: how many months after its binding a customer's sales earn ('' = every sale) */
  months: string;
}

const RULE_LABELS: Record<RuleKind, string> = {
  'conversion-percent': 'Conversion · percent of order value',
  'conversion-fixed': 'Conversion · fixed amount',
  'lead-fixed': 'Lead · fixed amount, once per customer',
  'click-fixed': 'Click · fixed amount',
  'impression-per_mille': 'Impressions · per 1,000',
};

const isConversion = (kind: RuleKind) => kind.startsWith('conversion-');

function ruleOf(draft: RuleDraft, currency: string): CommissionRule {
  const amount = { amount: draft.value, currency };
  // The API validates the number; the console only leaves it out when the field is empty.
  const duration = draft.months.trim() === '' ? {} : { customerDurationMonths: Number(draft.months) };
  switch (draft.kind) {
    case 'conversion-percent':
      return { event: 'conversion', type: 'percent', rate: draft.value, ...duration };
    case 'conversion-fixed':
      return { event: 'conversion', type: 'fixed', amount, ...duration };
    case 'lead-fixed':
      return { event: 'lead', type: 'fixed', amount };
    case 'click-fixed':
      return { event: 'click', type: 'fixed', amount };
    case 'impression-per_mille':
      return { event: 'impression', type: 'per_mille', amount };
  }
}

type Visibility = 'open' | 'invite_only';
type AttributionModel = 'last_click' | 'first_click';

const MODELS: Array<[AttributionModel, string]> = [
  ['last_click', 'last click'],
  ['first_click', 'first click'],
];

const VISIBILITIES: Array<[Visibility, string]> = [
  ['open', 'open'],
  ['invite_only', 'invite only'],
];

export function NewCampaign({ api }: { api: Api }) {
  const [name, setName] = useState('');
  const [landingUrl, setLandingUrl] = useState('https://');
  const [budget, setBudget] = useState('1000.00');
  const [currency, setCurrency] = useState('USD');
  const [visibility, setVisibility] = useState<Visibility>('open');
  const [holdingPeriodDays, setHolding] = useState(0);
  const [attributionModel, setModel] = useState<AttributionModel>('last_click');
  const [influencerIds, setInfluencers] = useState('');
  const [rules, setRules] = useState<RuleDraft[]>([{ kind: 'conversion-percent', value: '10', months: '' }]);
  const change = (i: number, edit: Partial<RuleDraft>) =>
    setRules(rules.map((x, j) => (j === i ? { ...x, ...edit } : x)));
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<Started & { id?: string }>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const accepted = await api.createCampaign({
        name,
        landingUrl,
        budget: { amount: budget, currency },
        visibility,
        holdingPeriodDays,
        attributionModel,
        commissionRules: rules.map((r) => ruleOf(r, currency)),
        influencerIds: influencerIds.split(/[\s,]+/).filter(Boolean),
      });
      setStarted({ correlationId: accepted.correlationId, title: 'Creating the campaign', id: accepted.id });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h2>New campaign</h2>
      <form className="form" onSubmit={submit}>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Summer launch" />
        </label>
        <label>
          Landing URL
          <input value={landingUrl} onChange={(e) => setLandingUrl(e.target.value)} />
        </label>
        <MoneyFields label="Budget" amount={budget} currency={currency} onAmount={setBudget} onCurrency={setCurrency} />
        <div className="row">
          <Choice label="Visibility" value={visibility} options={VISIBILITIES} onChange={setVisibility} />
          <Choice label="Attribution" value={attributionModel} options={MODELS} onChange={setModel} />
          <label>
            Holding period (days)
            <input
              type="number"
              min={0}
              value={holdingPeriodDays}
              onChange={(e) => setHolding(Number(e.target.value))}
            />
          </label>
        </div>
        <fieldset>
          <legend>Commission rules</legend>
          {rules.map((r, i) => (
            <div className="row rule" key={i}>
              <select
                aria-label={`rule ${i + 1} kind`}
                value={r.kind}
                onChange={(e) => change(i, { kind: e.target.value as RuleKind })}
              >
                {Object.entries(RULE_LABELS).map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
              <input
                aria-label={`rule ${i + 1} value`}
                value={r.value}
                onChange={(e) => change(i, { value: e.target.value })}
                placeholder={r.kind === 'conversion-percent' ? 'rate, e.g. 10' : `amount in ${currency}`}
              />
              {isConversion(r.kind) && (
                <input
                  aria-label={`rule ${i + 1} customer months`}
                  title="A customer's sales earn for this many months after it was bound (empty: every sale)"
                  inputMode="numeric"
                  value={r.months}
                  onChange={(e) => change(i, { months: e.target.value })}
                  placeholder="months per customer (any)"
                />
              )}
              <button
                type="button"
                className="ghost"
                onClick={() => setRules(rules.filter((_, j) => j !== i))}
                disabled={rules.length === 1}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="ghost"
            onClick={() => setRules([...rules, { kind: 'click-fixed', value: '0.25', months: '' }])}
            disabled={rules.length >= 10}
          >
            Add a rule
          </button>
        </fieldset>
        <label>
          Invite influencers (ids, comma separated)
          <input value={influencerIds} onChange={(e) => setInfluencers(e.target.value)} />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Create campaign'}
        </button>
      </form>
      {started && (
        <>
          <Timeline api={api} correlationId={started.correlationId} title={started.title} />
          {started.id && (
            <button className="ghost" onClick={() => started.id && go('campaigns', started.id)}>
              Open the campaign
            </button>
          )}
        </>
      )}
    </section>
  );
}
