import type { ReactNode } from 'react';

export const Loading = ({ what }: { what: string }) => <p className="muted loading">Loading {what}…</p>;
export const Empty = ({ children }: { children: ReactNode }) => <p className="empty">{children}</p>;
export const ErrorNote = ({ error }: { error?: string }) => (error ? <p className="error" role="alert">{error}</p> : null);
