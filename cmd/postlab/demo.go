package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"postlab/api"
	"postlab/demo"
	"postlab/experiments"
)

// demoCommand is `postlab demo [--workspace NAME]`.
func demoCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseCommand(args, getenv, 0, []string{"workspace"})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return withService(ctx, c.cfg, stderr, func(services api.Services, _ *slog.Logger) error {
		return loadDemo(ctx, services.Experiments.Store(), c.flag("workspace"), time.Now(), stdout)
	})
}

// loadDemo writes the example campaign into the workspace named (the first one when name is
// empty; created, with its admin key printed, when there is none), as it stands at now.
//
// Running it again adds nothing: an experiment whose key the workspace already has is left as
// it is, and said so. Its data are seeded, so a second workspace gets the same campaign.
func loadDemo(ctx context.Context, db experiments.Store, name string, now time.Time, stdout io.Writer) error {
	// The services' clock follows the story: each experiment starts weeks ago, and its posts
	// are logged as of now, so that every time the domain records makes sense.
	at := now.UTC()
	clocked := newServices(db, func() time.Time { return at })
	svc := clocked.Experiments
	ws, err := demoWorkspace(ctx, svc, name, stdout)
	if err != nil {
		return err
	}
	p, err := svc.OperatorPrincipal(ctx, ws)
	if err != nil {
		return err
	}
	campaign, err := demo.Campaign(demo.Default(), now)
	if err != nil {
		return err
	}
	var made, kept []string
	for _, e := range campaign {
		if _, err := svc.GetExperiment(ctx, p, e.Input.Key); err == nil {
			kept = append(kept, e.Input.Key)
			continue
		} else if !experiments.IsNotFound(err) {
			return err
		}
		at = e.StartAt
		if err := writeDemoExperiment(ctx, clocked, p, e, func() { at = now.UTC() }); err != nil {
			// Leave no half-written experiment behind: the next run would take it as loaded.
			if derr := svc.DeleteExperiment(ctx, p, e.Input.Key); derr != nil && !experiments.IsNotFound(derr) {
				err = errors.Join(err, derr)
			}
			return fmt.Errorf("demo experiment %s: %w", e.Input.Key, err)
		}
		made = append(made, e.Input.Key)
	}
	return printDemo(stdout, ws, campaign, made, kept)
}

// demoWorkspace names the workspace the demo goes into, creating it when needed.
func demoWorkspace(ctx context.Context, svc *experiments.Service, name string, stdout io.Writer) (string, error) {
	list, err := svc.Workspaces(ctx)
	if err != nil {
		return "", err
	}
	for _, ws := range list {
		if name == "" || ws.Name == name {
			return ws.Name, nil
		}
	}
	if name == "" {
		name = "default"
	}
	_, secret, err := svc.CreateWorkspace(ctx, name)
	if err != nil {
		return "", fmt.Errorf("create workspace %q: %w", name, err)
	}
	_, err = fmt.Fprintf(stdout, "Created workspace %q. Its admin key, shown only this once:\n\n  %s\n\n", name, secret)
	return name, err
}

// writeDemoExperiment creates and starts the experiment at its start time, then (after
// logNow moves the clock to now) logs its posts and snapshots and stores its posting plan.
func writeDemoExperiment(ctx context.Context, services api.Services, p experiments.Principal, e demo.Experiment, logNow func()) error {
	svc := services.Experiments
	if _, err := svc.CreateExperiment(ctx, p, e.Input); err != nil {
		return err
	}
	for _, v := range e.Variants {
		if _, err := svc.CreateVariant(ctx, p, e.Input.Key, v); err != nil {
			return fmt.Errorf("variant %s: %w", v.Key, err)
		}
	}
	if _, err := svc.Transition(ctx, p, e.Input.Key, experiments.ActionStart, nil); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	logNow()
	var snaps []experiments.SnapshotInput
	for _, post := range e.Posts {
		if _, err := svc.CreatePost(ctx, p, e.Input.Key, post.Input); err != nil {
			return fmt.Errorf("post %s: %w", post.Input.ExternalID, err)
		}
		snaps = append(snaps, post.Snapshots...)
	}
	for len(snaps) > 0 {
		n := min(len(snaps), experiments.MaxBatchSnapshots)
		if _, err := svc.AddSnapshots(ctx, p, "", snaps[:n]); err != nil {
			return fmt.Errorf("snapshots: %w", err)
		}
		snaps = snaps[n:]
	}
	if e.Schedule != nil {
		if _, err := services.Planning.PlanSchedule(ctx, p, e.Input.Key, *e.Schedule); err != nil {
			return fmt.Errorf("posting plan: %w", err)
		}
	}
	return nil
}

func printDemo(stdout io.Writer, ws string, campaign []demo.Experiment, made, kept []string) error {
	var b strings.Builder
	if len(made) > 0 {
		fmt.Fprintf(&b, "Loaded the demo campaign into workspace %q: a climate campaign on TikTok from three\n"+
			"national Red Cross accounts. Experiments:\n\n", ws)
	} else {
		fmt.Fprintf(&b, "The demo is already in workspace %q; nothing was added. Experiments:\n\n", ws)
	}
	for _, e := range campaign {
		fmt.Fprintf(&b, "  %-18s %s (%d posts)\n", e.Input.Key, e.Input.Name, len(e.Posts))
	}
	if len(made) > 0 && len(kept) > 0 {
		fmt.Fprintf(&b, "\n(already there, left as they were: %s)\n", strings.Join(kept, ", "))
	}
	fmt.Fprintf(&b, "\nServe them (postlab serve) and read a report, with KEY a key of the workspace\n"+
		"(postlab key create --workspace %s --role viewer makes one):\n\n"+
		"  curl -H \"Authorization: Bearer $KEY\" http://localhost:8080/v1/experiments/%s/report\n",
		ws, campaign[0].Input.Key)
	_, err := io.WriteString(stdout, b.String())
	return err
}
