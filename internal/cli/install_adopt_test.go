package cli

import (
	"slices"
	"testing"

	"github.com/fleetup/fleetup/internal/bootstrap"
)

// With --adopt the view shows the adopt step right after preflight, where
// install runs it; without, the pipeline's own list.
func TestInstallStepNamesAdopt(t *testing.T) {
	plain := (&Install{}).stepNames()
	if !slices.Equal(plain, bootstrap.StepNames()) {
		t.Errorf("without --adopt: %v", plain)
	}
	got := (&Install{Adopt: true}).stepNames()
	want := append([]string{"preflight", "adopt"}, bootstrap.StepNames()[1:]...)
	if !slices.Equal(got, want) {
		t.Errorf("with --adopt: %v, want %v", got, want)
	}
}
