import type { ReactNode } from 'react';

export const Loading = ({ what }: { what: string }) => <p className="muted loading">Loading {what}…</p>;
export const Empty = ({ children }: { children: ReactNode }) => <p className="empty">{children}</p>;
export const ErrorNote = ({ error }: { error?: string }) =>
  error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;

/** An amount and its ISO 4217 currency, side by side: the API's money object as a form sees it. */
export function MoneyFields(props: {
  label: string;
  amount: string;
  currency: string;
  onAmount: (v: string) => void;
  onCurrency: (v: string) => void;
  placeholder?: string;
}) {
  return (
    <div className="row">
      <label>
        {props.label}
        <input
          value={props.amount}
          onChange={(e) => props.onAmount(e.target.value)}
          inputMode="decimal"
          placeholder={props.placeholder}
        />
      </label>
      <label>
        Currency
        <input value={props.currency} onChange={(e) => props.onCurrency(e.target.value.toUpperCase())} maxLength={3} />
      </label>
    </div>
  );
}

/** A labelled select over a fixed set of values. */
export function Choice<T extends string>(props: {
  label: string;
  value: T;
  options: Array<[T, string]>;
  onChange: (v: T) => void;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value as T)}>
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A table in a scrolling panel: its column headings, then the rows the caller renders. */
export function Table({ headings, children }: { headings: string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {headings.map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A status as a coloured pill (styles.css colours each status by name). */
export const Pill = ({ status }: { status: string }) => (
  <span className={`pill ${status}`}>{status.replace('_', ' ')}</span>
);
