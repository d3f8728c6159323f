package rollout

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/record"
)

// Committer writes the pins into the cluster files and commits the files
// that differ from the last commit (and pushes, when asked): the command's
// Git writer. It returns the commit; empty when there was nothing to
// commit.
type Committer interface {
	Pin(ctx context.Context, clusters []*fleet.Cluster, rev, message string) (string, error)
}

// Rollout takes Revision to the fleet's clusters, wave by wave.
type Rollout struct {
	// Fleet is the fleet as the working tree has it (its pins included).
	Fleet *fleet.Fleet
	// Revision is the full commit rolled out; Subject its first line.
	Revision, Subject string
	Gate              Gate
	Commit            Committer
	// Kube holds the record (the hub).
	Kube *kube.Client
	// WaveTimeout bounds each wave, from its pin to its last cluster
	// healthy.
	WaveTimeout time.Duration
	// Log prints a progress line.
	Log func(string)
}

// WaveResult is what happened to one wave.
type WaveResult struct {
	Wave     string   `json:"wave"`
	Clusters []string `json:"clusters"`
	// Pinned are the clusters this run pinned; Commit the pin's commit.
	Pinned  []string `json:"pinned"`
	Commit  string   `json:"commit,omitempty"`
	State   string   `json:"state"` // done, resumed (done before), failed, interrupted
	Seconds float64  `json:"seconds"`
	Errors  []string `json:"errors,omitempty"`
}

// Result is the rollout's outcome (-o json).
type Result struct {
	Revision string       `json:"revision"`
	Resumed  bool         `json:"resumed"`
	Phase    string       `json:"phase"`
	Waves    []WaveResult `json:"waves"`
}

// Run rolls out. A rollout of the same revision that stopped (interrupted,
// killed, or failed) is resumed: its finished waves are kept. It stops at the first
// wave with a failed cluster, recording it; running it again (after a fix
// committed and rolled out as a new revision, or once the cause is gone)
// goes on.
func (r *Rollout) Run(ctx context.Context) (*Result, error) {
	rec, err := record.LoadRollout(ctx, r.Kube)
	if err != nil {
		return nil, err
	}
	res := &Result{Revision: r.Revision, Phase: record.RolloutRunning}
	if rec != nil && rec.Revision == r.Revision && rec.Phase != record.RolloutDone {
		res.Resumed = true
		r.Log(fmt.Sprintf("resuming the rollout of %s (%s): %s", Short(r.Revision), r.Subject, doneWaves(rec)))
	} else {
		if rec != nil && rec.Phase != record.RolloutDone {
			r.Log(fmt.Sprintf("the rollout of %s stopped at wave %s (%s); it is replaced by this one", Short(rec.Revision), rec.Wave, rec.Phase))
		}
		rec = &record.Rollout{Revision: r.Revision}
	}
	rec.Phase, rec.Message = record.RolloutRunning, ""
	if err := rec.Save(ctx, r.Kube); err != nil {
		return nil, err
	}
	for _, w := range Waves(r.Fleet) {
		wr, err := r.wave(ctx, rec, w)
		res.Waves = append(res.Waves, wr)
		if err != nil && ctx.Err() != nil {
			// Interrupted (Ctrl-C, the command's deadline), not failed: the
			// record stays running, as a killed process leaves it, so the
			// next `fleet rollout` resumes this revision.
			rec.Message = err.Error()
			if serr := rec.Save(context.WithoutCancel(ctx), r.Kube); serr != nil {
				err = errors.Join(err, serr)
			}
			return res, fmt.Errorf("%w; `fleetup fleet rollout` resumes it", err)
		}
		if err != nil {
			res.Phase = record.RolloutFailed
			rec.Phase, rec.Message = record.RolloutFailed, err.Error()
			if serr := rec.Save(context.WithoutCancel(ctx), r.Kube); serr != nil {
				err = errors.Join(err, serr)
			}
			return res, err
		}
	}
	res.Phase, rec.Phase, rec.Wave = record.RolloutDone, record.RolloutDone, ""
	return res, rec.Save(ctx, r.Kube)
}

// wave pins the wave's clusters not yet at the revision and waits for all
// of them.
func (r *Rollout) wave(ctx context.Context, rec *record.Rollout, w Wave) (WaveResult, error) {
	start := time.Now()
	wr := WaveResult{Wave: w.Key(), State: "done", Pinned: []string{}}
	var toPin []*fleet.Cluster
	for _, c := range w.Clusters {
		wr.Clusters = append(wr.Clusters, c.Name)
		if c.Revision != r.Revision {
			toPin = append(toPin, c)
		}
	}
	if rec.WaveDone(w.Key()) && len(toPin) == 0 {
		wr.State = "resumed"
		r.Log(fmt.Sprintf("%s: %s done before", w.Label(), strings.Join(wr.Clusters, ", ")))
		return wr, nil
	}
	rec.Wave = w.Key()
	if err := rec.Save(ctx, r.Kube); err != nil {
		return wr, err
	}
	// Every cluster of the wave goes to the committer, not only the ones
	// the working tree has at another revision: a run killed between
	// writing a pin and committing it leaves the file pinned and Git not,
	// and Argo CD reads Git.
	names := wr.Clusters
	if len(toPin) > 0 {
		names = nil
		for _, c := range toPin {
			names = append(names, c.Name)
		}
	}
	msg := fmt.Sprintf("fleet: roll out %s to %s (%s)\n\n%s\n", Short(r.Revision), w.Label(), strings.Join(names, ", "), r.Subject)
	commit, err := r.Commit.Pin(ctx, w.Clusters, r.Revision, msg)
	if err != nil {
		return wr, fmt.Errorf("%s: pin %s: %w", w.Label(), strings.Join(names, ", "), err)
	}
	for _, c := range w.Clusters {
		c.Revision = r.Revision
	}
	if commit != "" {
		wr.Pinned, wr.Commit = names, commit
		r.Log(fmt.Sprintf("%s: pinned %s to %s (commit %s)", w.Label(), strings.Join(names, ", "), Short(r.Revision), Short(commit)))
	}
	if err := r.Gate.Kick(ctx, w.Clusters); err != nil {
		return wr, err
	}
	r.Log(fmt.Sprintf("%s: waiting for %s to run %s, healthy (at most %v)", w.Label(), strings.Join(wr.Clusters, ", "), Short(r.Revision), r.WaveTimeout))
	errs := r.waitAll(ctx, w)
	wr.Seconds = time.Since(start).Seconds()
	if len(errs) > 0 && ctx.Err() != nil {
		wr.State = "interrupted"
		return wr, fmt.Errorf("%s interrupted while waiting, later waves untouched: %w", w.Label(), context.Cause(ctx))
	}
	if len(errs) > 0 {
		wr.State = "failed"
		for _, e := range errs {
			wr.Errors = append(wr.Errors, e.Error())
		}
		return wr, fmt.Errorf("%s failed, later waves untouched: %w", w.Label(), errors.Join(errs...))
	}
	rec.Done = append(rec.Done, w.Key())
	if err := rec.Save(ctx, r.Kube); err != nil {
		return wr, err
	}
	r.Log(fmt.Sprintf("%s: %s run %s, healthy, after %s", w.Label(), strings.Join(wr.Clusters, ", "), Short(r.Revision), time.Since(start).Round(time.Second)))
	return wr, nil
}

// waitAll waits for the wave's clusters together, within the wave's
// timeout, and returns every cluster's failure.
func (r *Rollout) waitAll(ctx context.Context, w Wave) []error {
	ctx, cancel := context.WithTimeoutCause(ctx, r.WaveTimeout, fmt.Errorf("%s not healthy after %v", w.Label(), r.WaveTimeout))
	defer cancel()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, c := range w.Clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Gate.Wait(ctx, c, r.Revision); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func doneWaves(rec *record.Rollout) string {
	if len(rec.Done) == 0 {
		return "no wave done yet"
	}
	return "waves done: " + strings.Join(rec.Done, ", ")
}
