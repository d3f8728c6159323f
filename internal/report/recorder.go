package report

import "sync"

// StepEvent is one Step call a Recorder saw.
type StepEvent struct {
	Name    string
	State   StepState
	Message string
}

// Recorder keeps every report, for tests that check what a pipeline said
// without parsing printed text. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	steps  []StepEvent
	addons []AddonStatus
}

// Step implements Reporter.
func (r *Recorder) Step(name string, state StepState, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, StepEvent{Name: name, State: state, Message: msg})
}

// Addon implements Reporter.
func (r *Recorder) Addon(a AddonStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addons = append(r.addons, a)
}

// Steps returns the step events so far, in order.
func (r *Recorder) Steps() []StepEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]StepEvent(nil), r.steps...)
}

// Addons returns the addon reports so far, in order.
func (r *Recorder) Addons() []AddonStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]AddonStatus(nil), r.addons...)
}

// StepStates maps each step to the last state reported for it.
func (r *Recorder) StepStates() map[string]StepState {
	out := map[string]StepState{}
	for _, s := range r.Steps() {
		out[s.Name] = s.State
	}
	return out
}

// AddonStates maps each addon to the last state reported for it.
func (r *Recorder) AddonStates() map[string]AddonState {
	out := map[string]AddonState{}
	for _, a := range r.Addons() {
		out[a.Name] = a.State
	}
	return out
}

// Tee sends every report to several reporters.
type Tee []Reporter

// Step implements Reporter.
func (t Tee) Step(name string, state StepState, msg string) {
	for _, r := range t {
		r.Step(name, state, msg)
	}
}

// Addon implements Reporter.
func (t Tee) Addon(a AddonStatus) {
	for _, r := range t {
		r.Addon(a)
	}
}
