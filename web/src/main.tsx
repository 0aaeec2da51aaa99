import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiKey } from './api/client';
import { KeyPage } from './pages/Key';
import { ExperimentsPage } from './pages/Experiments';
import { ExperimentPage } from './pages/Experiment';
import { ReportPage } from './pages/Report';
import { SchedulePage } from './pages/Schedule';
import { LearningsPage } from './pages/Learnings';
import { Link } from './ui';
import './style.css';

function usePath() {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const on = () => setPath(location.pathname + location.search);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

function route(path: string) {
  const [p] = path.split('?');
  const m = p.match(/^\/experiments\/([^/]+)(?:\/(report|schedule))?\/?$/);
  if (m) {
    const id = decodeURIComponent(m[1]);
    if (m[2] === 'report') return <ReportPage id={id} />;
    if (m[2] === 'schedule') return <SchedulePage id={id} />;
    return <ExperimentPage id={id} />;
  }
  if (p === '/learnings') return <LearningsPage />;
  if (p === '/key') return <KeyPage />;
  return <ExperimentsPage />;
}

function App() {
  const path = usePath();
  const [hasKey, setHasKey] = useState(!!apiKey.get());
  useEffect(() => {
    const on = () => setHasKey(!!apiKey.get());
    addEventListener('postlab-key', on);
    return () => removeEventListener('postlab-key', on);
  }, []);
  // After a move to another page, the keyboard starts at its content, as after a page load
  // it starts at the top (where the skip link is).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          postlab
        </Link>
        <nav aria-label="Main">
          <Link href="/">Experiments</Link>
          <Link href="/learnings">Learnings</Link>
          <Link href="/key">API key</Link>
          <a href="/docs">API docs</a>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {hasKey || path.startsWith('/key') ? route(path) : <KeyPage />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
