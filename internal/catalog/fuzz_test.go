package catalog

import (
	"os"
	"testing"

	"github.com/fleetup/fleetup/internal/decode/decodetest"
)

// FuzzParse: the catalog decoder never panics and every rejection is a
// positioned error.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../../packages/addons/values.yaml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{"", "a:\n  enabled: true\n", "a: {enabled: true, dependsOn: [b, c]}\nb: {enabled: yes}\n",
		"syncPolicy: {automated: {}}\nx: 1\n", "a: &x {enabled: true}\nb: *x\n", "a: {enabled: true, selector: {matchExpressions: [{key: k, operator: In}]}}",
		"a: {enabled: true, healthTimeout: 5}", "a: {enabled: true, valuesObject: {k: [1, 2.5, true, null]}}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("values.yaml", data)
		if err == nil {
			return
		}
		decodetest.RequirePositioned(t, err, "values.yaml")
	})
}
