// Package decodetest holds test helpers for code that reports decode errors.
package decodetest

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/decode"
)

// RequirePositioned fails t unless err is a decode.Error or decode.Errors
// whose every line starts with "<file>:<line>:<column>: ".
func RequirePositioned(t testing.TB, err error, file string) {
	t.Helper()
	var es decode.Errors
	var e *decode.Error
	if !errors.As(err, &es) && !errors.As(err, &e) {
		t.Fatalf("unpositioned error %T: %v", err, err)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(file) + `:[1-9][0-9]*:[1-9][0-9]*: `)
	for _, line := range strings.Split(err.Error(), "\n") {
		if !re.MatchString(line) {
			t.Fatalf("error line without file:line:column: %q", line)
		}
	}
}
