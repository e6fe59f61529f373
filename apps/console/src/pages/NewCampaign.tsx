import { useState, type FormEvent } from 'react';
import { type Api, type CommissionRule } from '../api';
import { Timeline } from '../components/Timeline';
import { Choice, ErrorNote, MoneyFields } from '../components/ui';
import { go, messageOf, type Started } from '../hooks';

type RuleKind = 'conversion-percent' | 'conversion-fixed' | 'click-fixed' | 'impression-per_mille';

interface RuleDraft {
  kind: RuleKind;
  value: string;
}

const RULE_LABELS: Record<RuleKind, string> = {
  'conversion-percent': 'Conversion · percent of order value',
  'conversion-fixed': 'Conversion · fixed amount',
  'click-fixed': 'Click · fixed amount',
  'impression-per_mille': 'Impressions · per 1,000',
};

function ruleOf(draft: RuleDraft, currency: string): CommissionRule {
  const amount = { amount: draft.value, currency };
  switch (draft.kind) {
    case 'conversion-percent':
      return { event: 'conversion', type: 'percent', rate: draft.value };
    case 'conversion-fixed':
      return { event: 'conversion', type: 'fixed', amount };
    case 'click-fixed':
      return { event: 'click', type: 'fixed', amount };
    case 'impression-per_mille':
      return { event: 'impression', type: 'per_mille', amount };
  }
}

type Visibility = 'open' | 'invite_only';

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
  const [influencerIds, setInfluencers] = useState('');
  const [rules, setRules] = useState<RuleDraft[]>([{ kind: 'conversion-percent', value: '10' }]);
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
                onChange={(e) =>
                  setRules(rules.map((x, j) => (j === i ? { ...x, kind: e.target.value as RuleKind } : x)))
                }
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
                onChange={(e) => setRules(rules.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                placeholder={r.kind === 'conversion-percent' ? 'rate, e.g. 10' : `amount in ${currency}`}
              />
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
            onClick={() => setRules([...rules, { kind: 'click-fixed', value: '0.25' }])}
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
