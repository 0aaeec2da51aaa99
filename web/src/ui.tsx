import type { AnchorHTMLAttributes, ComponentChildren, InputHTMLAttributes, SelectHTMLAttributes } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './api/client';

let seq = 0;
const nextId = () => `f${++seq}`;

type FieldProps = {
  label: string;
  name: string;
  error?: ApiError | null;
  hint?: string;
  children?: ComponentChildren;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'label' | 'name' | 'role'>;

/** Field is a labelled input with the API's message for it, when it has one, right beside it. */
export function Field({ label, name, error, hint, children, ...input }: FieldProps) {
  const [gen] = useState(nextId);
  const id = (input.id as string | undefined) ?? gen;
  const msg = error?.field(name);
  return (
    <div class={`field${msg ? ' bad' : ''}`}>
      <label for={id}>{label}</label>
      {children ?? <input id={id} name={name} aria-invalid={msg ? true : undefined} aria-describedby={msg || hint ? `${id}-m` : undefined} {...(input as InputHTMLAttributes<HTMLInputElement>)} />}
      {(msg || hint) && (
        <small id={`${id}-m`} class={msg ? 'err' : 'hint'} role={msg ? 'alert' : undefined}>
          {msg ?? hint}
        </small>
      )}
    </div>
  );
}

type SelectProps = { label: string; name: string; error?: ApiError | null; options: (string | [string, string])[] } & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'label' | 'name' | 'role'>;

export function Select({ label, name, error, options, ...rest }: SelectProps) {
  const [id] = useState(nextId);
  const msg = error?.field(name);
  return (
    <div class={`field${msg ? ' bad' : ''}`}>
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-invalid={msg ? true : undefined} {...(rest as SelectHTMLAttributes<HTMLSelectElement>)}>
        {options.map((o) => {
          const [v, t] = Array.isArray(o) ? o : [o, o];
          return (
            <option key={v} value={v}>
              {t}
            </option>
          );
        })}
      </select>
      {msg && (
        <small class="err" role="alert">
          {msg}
        </small>
      )}
    </div>
  );
}

/** Problem shows an API error's detail; field messages are shown beside their inputs. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof Error ? error.message : String(error);
  const others = error instanceof ApiError ? error.problem.errors ?? [] : [];
  return (
    <div class="problem" role="alert">
      <strong>{text}</strong>
      {others.length > 0 && (
        <ul>
          {others.map((e) => (
            <li key={e.field}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Busy({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="busy" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** useAction runs an async action with a busy flag and its error. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const run = async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e as Error);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const apiError = error instanceof ApiError ? error : null;
  return { busy, error, apiError, run, setError };
}

export function Link({ href, children, ...rest }: { href: string; children: ComponentChildren } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a
      href={href}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}

export function navigate(href: string) {
  history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}
