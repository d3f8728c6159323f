package outdated

import (
	"context"
	"errors"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
)

// offers is a repository per chart name: its versions, or an error.
type offers map[string]any

func (o offers) ChartVersions(_ context.Context, src catalog.Source) ([]string, error) {
	switch v := o[src.Chart].(type) {
	case []string:
		return v, nil
	case error:
		return nil, v
	}
	return nil, errors.New("no such chart")
}

// TestCheckStatuses covers every status on a catalog in CNOE's shapes: an
// OCI registry written as a bare host with chartNamespace, a path chart,
// plain manifests, a Git repository as chart source, a pin config.yaml
// overrides.
func TestCheckStatuses(t *testing.T) {
	cat, err := catalog.Parse("values.yaml", []byte(`
ack:
  enabled: true
  chartName: ack-s3
  chartRepository: public.ecr.aws
  chartNamespace: aws-controllers-k8s
  defaultVersion: 1.0.0
cur: {enabled: true, chartRepository: https://charts.example.test, defaultVersion: "2.0.0"}
gone: {enabled: true, chartRepository: https://gone.example.test, defaultVersion: "1.0.0"}
typo: {enabled: true, chartRepository: https://charts.example.test, defaultVersion: "1.0.9"}
bad: {enabled: true, chartRepository: https://charts.example.test, defaultVersion: "stable"}
local: {enabled: true, path: packages/local, type: chart}
plain: {enabled: true, path: packages/plain, type: manifest}
git: {enabled: true, chartRepository: https://github.com/example-org/charts.git, defaultVersion: "1.0.0"}
`))
	if err != nil {
		t.Fatal(err)
	}
	l := offers{
		"ack-s3": []string{"1.0.0", "1.0.2", "2.0.0"},
		"cur":    []string{"1.9.0", "2.0.0"},
		"gone":   errors.New("dial tcp 127.0.0.1:1: connection refused"),
		"typo":   []string{"1.0.0", "1.0.1"},
		"bad":    []string{"1.0.0"},
	}
	rep := Check(context.Background(), cat, map[string]string{"cur": "1.9.0"}, l)
	want := map[string]Status{"ack": Behind, "cur": Current, "gone": Failed, "typo": Missing, "bad": Failed, "local": InRepo, "plain": NotChart, "git": NotChart}
	for _, a := range rep.Addons {
		if a.Status != want[a.Name] {
			t.Errorf("%s: %s (%s), want %s", a.Name, a.Status, a.Note, want[a.Name])
		}
	}
	ack := rep.Addons[0]
	if ack.Source.URL != "oci://public.ecr.aws/aws-controllers-k8s" || ack.Minor != "1.0.2" || ack.Major != "2.0.0" {
		t.Errorf("ack: %+v", ack)
	}
	if rep.Addons[1].ConfigPin != "1.9.0" {
		t.Errorf("cur: config pin %q", rep.Addons[1].ConfigPin)
	}
	if rep.OK() {
		t.Error("a report with addons behind and errors is OK")
	}
	// Only the addon behind moves; the missing pin and the errors stay.
	if got := Updates(rep, true); len(got) != 1 || got[0] != (Change{Addon: "ack", From: "1.0.0", To: "2.0.0"}) {
		t.Errorf("updates %+v", got)
	}
	if got := Updates(rep, false); len(got) != 1 || got[0].To != "1.0.2" {
		t.Errorf("minor updates %+v", got)
	}
}

// A cancelled context ends the check with each addon's error, not a hang.
func TestCheckCancelled(t *testing.T) {
	cat, err := catalog.Parse("values.yaml", []byte("a: {enabled: true, chartRepository: https://x.example.test, defaultVersion: 1.0.0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Check(ctx, cat, nil, ctxLister{})
	if rep.Addons[0].Status != Failed {
		t.Errorf("%+v", rep.Addons[0])
	}
}

type ctxLister struct{}

func (ctxLister) ChartVersions(ctx context.Context, _ catalog.Source) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
