import { useState } from 'preact/hooks';
import { api, apiKey, need } from '../api/client';
import { Field, Problem, navigate, useAction } from '../ui';

/** KeyPage keeps the API key in this browser, after checking it works. */
export function KeyPage() {
  const [key, setKey] = useState('');
  const [workspace, setWorkspace] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const current = apiKey.get();

  const save = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const previous = apiKey.get();
      apiKey.set(key);
      try {
        const ws = need(await api.GET('/v1/workspace'));
        setWorkspace(ws.name);
        dispatchEvent(new Event('postlab-key'));
        navigate('/');
      } catch (err) {
        if (previous) apiKey.set(previous);
        else apiKey.clear();
        throw err;
      }
    });
  };

  return (
    <section class="narrow">
      <h1>Your API key</h1>
      <p>
        postlab needs a key to show your workspace. It stays in this browser only (local storage) and is sent with
        each request as <code>Authorization: Bearer …</code>.
      </p>
      <form onSubmit={save}>
        <Field label="API key" name="key" type="password" autoComplete="off" required value={key}
          onInput={(e) => setKey(e.currentTarget.value)} />
        <Problem error={error} />
        <div class="actions">
          <button type="submit" disabled={busy || !key.trim()}>
            {busy ? 'Checking…' : 'Use this key'}
          </button>
          {current && (
            <button type="button" class="secondary" onClick={() => { apiKey.clear(); dispatchEvent(new Event('postlab-key')); location.reload(); }}>
              Forget the saved key
            </button>
          )}
        </div>
        {workspace && <p>Workspace: {workspace}</p>}
      </form>
      <h2>No key yet?</h2>
      <ul>
        <li>The first time postlab starts on an empty database it prints an admin key once, in its log.</li>
        <li>
          On the server, <code>postlab workspace create NAME</code> creates a workspace and prints its admin key;{' '}
          <code>postlab key create --workspace NAME --role editor</code> prints a key for a colleague (roles: viewer,
          editor, admin).
        </li>
      </ul>
    </section>
  );
}
