package argocd

import (
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/report"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// spec is an Application's spec as the ApplicationSet chart renders one.
const spec = `
spec:
  project: default
  source:
    repoURL: https://charts.example.test
    chart: external-secrets
    targetRevision: 0.20.3
    helm:
      releaseName: external-secrets
      valuesObject: {installCRDs: false, replicas: 1}
  destination:
    name: in-cluster
    namespace: external-secrets
  syncPolicy:
    automated: {selfHeal: true, prune: true}
`

// comparedTo is what Argo CD writes after comparing that spec: the same
// source with Go's omitempty dropping nothing we set, and the destination.
const comparedTo = `
    comparedTo:
      source:
        repoURL: https://charts.example.test
        chart: external-secrets
        targetRevision: 0.20.3
        helm:
          releaseName: external-secrets
          valuesObject: {installCRDs: false, replicas: 1}
      destination:
        name: in-cluster
        namespace: external-secrets
`

func app(t *testing.T, doc string) Application {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: argocd}\n"+doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return Read(u)
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      report.AddonState
		msg       string
	}{
		{"no status yet (just generated)", spec, report.AddonSyncing, "not compared the current spec"},
		{"adopted: Synced and Healthy with no operation at all", spec + `
status:
  reconciledAt: "2026-11-23T10:00:00Z"
  sync:
    status: Synced
    revision: 0.20.3` + comparedTo + `
  health: {status: Healthy}
`, report.AddonHealthy, ""},
		{"leftover status from before the spec changed", strings.Replace(spec, "targetRevision: 0.20.3", "targetRevision: 0.20.4", 1) + `
status:
  sync:
    status: Synced
    revision: 0.20.3` + comparedTo + `
  health: {status: Healthy}
  operationState: {phase: Succeeded, finishedAt: "2026-11-23T09:59:00Z", syncResult: {revision: 0.20.3}}
`, report.AddonSyncing, "not compared the current spec"},
		{"operation requested, not started", spec + `
operation: {sync: {revision: 0.20.3}}
status:
  sync:
    status: Synced` + comparedTo + `
  health: {status: Healthy}
`, report.AddonSyncing, ""},
		{"operation running", spec + `
status:
  sync:
    status: OutOfSync` + comparedTo + `
  health: {status: Missing}
  operationState: {phase: Running, message: "waiting for healthy state of apps/Deployment/x"}
`, report.AddonSyncing, "operation Running"},
		{"failed attempt, retrying", spec + `
status:
  sync:
    status: OutOfSync
    revision: 0.20.3` + comparedTo + `
  health: {status: Missing}
  operationState: {phase: Running, retryCount: 1, finishedAt: "2026-11-23T10:00:05Z", message: "one or more objects failed to apply. Retrying attempt #1 at 10:00AM."}
`, report.AddonSyncing, "retry 1"},
		{"retried and succeeded", spec + `
status:
  reconciledAt: "2026-11-23T10:00:40Z"
  sync:
    status: Synced
    revision: 0.20.3` + comparedTo + `
  health: {status: Healthy}
  operationState: {phase: Succeeded, retryCount: 2, finishedAt: "2026-11-23T10:00:30Z", syncResult: {revision: 0.20.3}}
`, report.AddonHealthy, ""},
		{"succeeded but not compared since", spec + `
status:
  reconciledAt: "2026-11-23T10:00:00Z"
  sync:
    status: Synced
    revision: 0.20.3` + comparedTo + `
  health: {status: Healthy}
  operationState: {phase: Succeeded, finishedAt: "2026-11-23T10:00:30Z", syncResult: {revision: 0.20.3}}
`, report.AddonSyncing, "compare again"},
		{"failed for good on this revision", spec + `
status:
  sync:
    status: OutOfSync
    revision: 0.20.3` + comparedTo + `
  health: {status: Missing}
  operationState: {phase: Failed, message: "one or more objects failed to apply (retried 5 times).", syncResult: {revision: 0.20.3}}
`, report.AddonFailed, "sync failed: one or more objects failed to apply"},
		{"failed on an older revision, a newer one to sync", spec + `
status:
  sync:
    status: OutOfSync
    revision: bbbbbbbbbbbbbbbb` + comparedTo + `
  health: {status: Healthy}
  operationState: {phase: Failed, message: "boom", syncResult: {revision: aaaaaaaaaaaaaaaa}}
`, report.AddonSyncing, "waiting for a sync of bbbbbbbbbbbb"},
		{"comparison error may clear: degraded", spec + `
status:
  sync:
    status: Unknown` + comparedTo + `
  health: {status: Unknown}
  conditions: [{type: ComparisonError, message: "rpc error: repository not reachable"}]
`, report.AddonDegraded, "ComparisonError"},
		{"invalid spec fails at once", spec + `
status:
  sync: {status: Unknown}
  health: {status: Unknown}
  conditions: [{type: InvalidSpecError, message: "application destination can't have both name and server defined"}]
`, report.AddonFailed, "InvalidSpecError"},
		{"synced, resources starting", spec + `
status:
  sync:
    status: Synced` + comparedTo + `
  health: {status: Progressing}
`, report.AddonProgressing, "health Progressing"},
		{"synced, degraded", spec + `
status:
  sync:
    status: Synced` + comparedTo + `
  health: {status: Degraded}
`, report.AddonDegraded, "health Degraded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := app(t, tc.doc).Verdict()
			if v.State != tc.want || !strings.Contains(v.Message, tc.msg) {
				t.Errorf("verdict %s %q, want %s containing %q", v.State, v.Message, tc.want, tc.msg)
			}
		})
	}
}

func TestRefreshPendingAndDeletion(t *testing.T) {
	healthy := spec + "status:\n  sync:\n    status: Synced" + comparedTo + "  health: {status: Healthy}\n"
	a := app(t, "metadata: {name: a, namespace: argocd, annotations: {argocd.argoproj.io/refresh: normal}}\n"+healthy)
	if v := a.Verdict(); v.State != report.AddonSyncing {
		t.Errorf("refresh pending: %s", v.State)
	}
	d := app(t, "metadata: {name: a, namespace: argocd, deletionTimestamp: \"2026-11-23T10:00:00Z\"}\n"+healthy)
	if v := d.Verdict(); v.State != report.AddonSyncing || !strings.Contains(v.Message, "being deleted") {
		t.Errorf("deleting: %s %q", v.State, v.Message)
	}
}

func TestComparedToToleratesOmittedEmptyFields(t *testing.T) {
	// The spec carries empty values Argo CD drops when it stores what it
	// compared; a multi-source spec compares sources.
	doc := `
spec:
  sources:
    - {repoURL: file:///repo, path: packages/base, targetRevision: main, directory: {}}
    - {repoURL: file:///repo, ref: values, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: base, name: ""}
  ignoreDifferences: []
status:
  sync:
    status: Synced
    comparedTo:
      sources:
        - {repoURL: file:///repo, path: packages/base, targetRevision: main}
        - {repoURL: file:///repo, ref: values, targetRevision: main}
      destination: {server: "https://kubernetes.default.svc", namespace: base}
  health: {status: Healthy}
`
	if a := app(t, doc); !a.Current || !a.Healthy() {
		t.Errorf("current %v, verdict %+v", a.Current, a.Verdict())
	}
	other := strings.Replace(doc, "path: packages/base, targetRevision: main, directory: {}", "path: packages/other, targetRevision: main", 1)
	if a := app(t, other); a.Current {
		t.Error("a changed source path still counts as compared")
	}
}

func TestReadCRDs(t *testing.T) {
	a := app(t, spec+`
status:
  resources:
    - {group: apiextensions.k8s.io, version: v1, kind: CustomResourceDefinition, name: widgets.example.test}
    - {group: apps, version: v1, kind: Deployment, namespace: x, name: d, health: {status: Degraded, message: "progress deadline exceeded"}}
`)
	if len(a.CRDs) != 1 || a.CRDs[0] != "widgets.example.test" {
		t.Errorf("CRDs %v", a.CRDs)
	}
	if len(a.Unhealthy) != 1 || !strings.Contains(a.Unhealthy[0], "Deployment x/d: Degraded: progress deadline exceeded") {
		t.Errorf("unhealthy %v", a.Unhealthy)
	}
}

// TestReadDegradedAppSets: the catalog's status after an API server outage,
// as Argo CD v3.2 writes it: its ApplicationSets Degraded with the error
// their controller reported.
func TestReadDegradedAppSets(t *testing.T) {
	a := app(t, spec+`
status:
  resources:
    - {group: argoproj.io, version: v1alpha1, kind: ApplicationSet, namespace: argocd, name: fleetup-stages, health: {status: Degraded, message: "error listing clusters: connection refused"}}
    - {group: argoproj.io, version: v1alpha1, kind: ApplicationSet, namespace: argocd, name: base, health: {status: Healthy}}
    - {group: argoproj.io, version: v1alpha1, kind: Application, namespace: argocd, name: top, health: {status: Degraded}}
`)
	if len(a.DegradedAppSets) != 1 || a.DegradedAppSets[0] != "fleetup-stages" {
		t.Errorf("degraded ApplicationSets %v, want [fleetup-stages]", a.DegradedAppSets)
	}
}

// TestRefused: a sync Argo CD retries because Cluster API's webhook
// refuses the change (the message as Argo CD v3.2 writes it) is refused;
// a retry for a missing CRD is not.
func TestRefused(t *testing.T) {
	refused := app(t, spec+`
status:
  operationState:
    phase: Running
    retryCount: 2
    message: 'retrying attempt #2 at 10:00AM: one or more objects failed to apply, reason: admission webhook "validation.kubeadmcontrolplane.controlplane.cluster.x-k8s.io" denied the request: KubeadmControlPlane.controlplane.cluster.x-k8s.io "c-control-plane" is invalid: spec.version: Forbidden: cannot update Kubernetes version from v1.33.0 to v1.35.0'
`)
	if msg, ok := refused.Refused(); !ok || !strings.Contains(msg, "cannot update Kubernetes version") {
		t.Errorf("refused = %v %q", ok, msg)
	}
	waiting := app(t, spec+`
status:
  operationState:
    phase: Running
    retryCount: 1
    message: 'retrying attempt #1: the server could not find the requested resource (KubeadmControlPlane.controlplane.cluster.x-k8s.io)'
`)
	if _, ok := waiting.Refused(); ok {
		t.Error("a retry waiting for CRDs counts as refused")
	}
}
