package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// LineReporter prints one timestamped line per state change: the output
// for CI and other non-terminal use. With JSON each line is an object.
type LineReporter struct {
	W    io.Writer
	JSON bool
	// Now is the clock (tests fix it); time.Now by default.
	Now func() time.Time
	mu  sync.Mutex
}

func (r *LineReporter) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

type event struct {
	Time      string   `json:"time"`
	Kind      string   `json:"kind"`
	Name      string   `json:"name"`
	State     string   `json:"state"`
	Message   string   `json:"message,omitempty"`
	WaitingOn []string `json:"waitingOn,omitempty"`
	Elapsed   string   `json:"elapsed,omitempty"`
}

func (r *LineReporter) emit(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.JSON {
		b, _ := json.Marshal(e)
		fmt.Fprintln(r.W, string(b))
		return
	}
	line := fmt.Sprintf("%s %-5s %-28s %s", e.Time, e.Kind, e.Name, e.State)
	if e.Elapsed != "" {
		line += " after " + e.Elapsed
	}
	if e.Message != "" {
		line += ": " + e.Message
	}
	fmt.Fprintln(r.W, line)
}

// Step implements Reporter.
func (r *LineReporter) Step(name string, state StepState, msg string) {
	r.emit(event{Time: r.now().UTC().Format(time.RFC3339), Kind: "step", Name: name, State: string(state), Message: msg})
}

// Addon implements Reporter.
func (r *LineReporter) Addon(a AddonStatus) {
	e := event{Time: r.now().UTC().Format(time.RFC3339), Kind: "addon", Name: a.Name, State: string(a.State), Message: a.Message, WaitingOn: a.WaitingOn}
	if a.State == AddonHealthy && !a.Started.IsZero() {
		e.Elapsed = a.Since.Sub(a.Started).Round(time.Second).String()
	}
	r.emit(e)
}
