package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	fkube "github.com/fleetup/fleetup/internal/kube"
	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/kube"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
)

// Releaser installs and upgrades Helm releases with the Helm v4 SDK,
// against fleetup's rest.Config, with no helm binary or kubeconfig file.
type Releaser struct {
	Config *rest.Config
	// CacheDir holds downloaded charts and repository indexes.
	CacheDir string
	// Log receives Helm's own log lines (default: discarded).
	Log *slog.Logger
}

// Spec is one release to converge.
type Spec struct {
	Name, Namespace string
	Source          catalog.Source
	// RepoRoot resolves Source.Path for charts in the Git repository.
	RepoRoot string
	Values   map[string]any
	Timeout  time.Duration
	// CRDs, when set, is given the CRDs of the chart's crds/ before an
	// install or upgrade, and Helm skips them: Helm creates only the
	// missing ones and does not track them, so the caller creates them
	// itself and marks them as its own.
	CRDs func(ctx context.Context, crds []*unstructured.Unstructured) error
}

// Action says what Apply did.
type Action string

// Results of Apply.
const (
	Installed Action = "installed"
	Upgraded  Action = "upgraded"
	Unchanged Action = "unchanged"
)

// Result describes the release after Apply.
type Result struct {
	Action       Action
	Revision     int
	ChartVersion string
}

func (r *Releaser) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (r *Releaser) action(namespace string) (*action.Configuration, error) {
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(r.logger().Handler()))
	if err := cfg.Init(&restGetter{cfg: r.Config, namespace: namespace}, namespace, "secret"); err != nil {
		return nil, fmt.Errorf("helm: %w", err)
	}
	return cfg, nil
}

func (r *Releaser) settings() *cli.EnvSettings {
	s := cli.New()
	s.RepositoryCache = filepath.Join(r.CacheDir, "repository")
	s.RepositoryConfig = filepath.Join(r.CacheDir, "repositories.yaml")
	s.ContentCache = filepath.Join(r.CacheDir, "content")
	s.RegistryConfig = filepath.Join(r.CacheDir, "registry.json")
	return s
}

// LoadChart fetches the chart of a source: from a Helm repository, an OCI
// registry, or a directory of the local checkout.
func (r *Releaser) LoadChart(ctx context.Context, spec Spec) (*chartv2.Chart, error) {
	path, err := r.chartPath(ctx, spec)
	if err != nil {
		return nil, err
	}
	return load(path)
}

func load(path string) (*chartv2.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", path, err)
	}
	return ch, nil
}

// chartPath is where the chart of a source is on this machine: fetched
// into the cache, or in the checkout.
func (r *Releaser) chartPath(ctx context.Context, spec Spec) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	src := spec.Source
	switch src.Kind {
	case catalog.SourceGitChart:
		return filepath.Join(spec.RepoRoot, src.Path), nil
	case catalog.SourceHelmRepo, catalog.SourceOCI:
	default:
		return "", fmt.Errorf("%s is a %s source, not a chart", spec.Name, src.Kind)
	}
	if err := os.MkdirAll(r.CacheDir, 0o755); err != nil {
		return "", err
	}
	rc, err := registryClient(src)
	plain := plainHTTP(src)
	if err != nil {
		return "", err
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(r.logger().Handler()))
	cfg.RegistryClient = rc
	opts := action.NewInstall(cfg).ChartPathOptions
	opts.Version = src.Version
	name := src.Chart
	if src.Kind == catalog.SourceOCI {
		name = strings.TrimSuffix(src.URL, "/") + "/" + src.Chart
		opts.PlainHTTP = plain
	} else {
		opts.RepoURL = src.URL
	}
	path, err := opts.LocateChart(name, r.settings())
	if err != nil {
		return "", fmt.Errorf("fetch chart %s %s from %s: %w", src.Chart, src.Version, src.URL, err)
	}
	return path, nil
}

// ChartCRDs are the CustomResourceDefinitions of ch's crds/ directories:
// its own and those of the dependencies values enable, the ones Helm's
// install would create. It drops ch's disabled dependencies, as Helm's
// install does, which must not happen twice to a chart (aliased
// dependencies would be lost): give it a chart that is not installed.
func ChartCRDs(ch *chartv2.Chart, values map[string]any) ([]*unstructured.Unstructured, error) {
	if err := chartutil.ProcessDependencies(ch, values); err != nil {
		return nil, fmt.Errorf("chart %s: dependencies: %w", ch.Name(), err)
	}
	var out []*unstructured.Unstructured
	for _, c := range ch.CRDObjects() {
		objs, err := fkube.DecodeFile(c.Filename, c.File.Data)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", ch.Name(), err)
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				return nil, fmt.Errorf("chart %s: %s holds a %s; crds/ may hold only CustomResourceDefinitions", ch.Name(), c.Filename, o.GetKind())
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// Apply installs the release, upgrades it when its chart version or values
// differ, or leaves it alone. A release left pending by a killed run is
// recovered first. It waits for the release's resources with kstatus.
func (r *Releaser) Apply(ctx context.Context, spec Spec) (Result, error) {
	cfg, err := r.action(spec.Namespace)
	if err != nil {
		return Result{}, err
	}
	path, err := r.chartPath(ctx, spec)
	if err != nil {
		return Result{}, err
	}
	ch, err := load(path)
	if err != nil {
		return Result{}, err
	}
	cur, err := current(cfg, spec.Name)
	if err != nil {
		return Result{}, err
	}
	if cur != nil && cur.Info.Status.IsPending() {
		if cur, err = r.recover(ctx, cfg, cur); err != nil {
			return Result{}, err
		}
	}
	version := ch.Metadata.Version
	if cur != nil && cur.Info.Status == rcommon.StatusDeployed && cur.Chart != nil && cur.Chart.Metadata.Version == version && sameValues(cur.Config, spec.Values) && cur.Labels[releaseLabelKey] == releaseLabelValue {
		// Deployed as wanted; still make sure it is healthy.
		if err := r.waitHealthy(ctx, cfg, cur, spec.Timeout); err != nil {
			return Result{}, err
		}
		return Result{Action: Unchanged, Revision: cur.Version, ChartVersion: version}, nil
	}
	if spec.CRDs != nil {
		// A chart of its own: Helm's install processes the dependencies
		// of the one it gets again.
		own, err := load(path)
		if err != nil {
			return Result{}, err
		}
		crds, err := ChartCRDs(own, spec.Values)
		if err != nil {
			return Result{}, err
		}
		if err := spec.CRDs(ctx, crds); err != nil {
			return Result{}, err
		}
	}
	var rel any
	act := Installed
	if cur == nil {
		in := action.NewInstall(cfg)
		in.ReleaseName, in.Namespace, in.CreateNamespace = spec.Name, spec.Namespace, true
		in.WaitStrategy, in.Timeout = kube.StatusWatcherStrategy, spec.Timeout
		in.WaitOptions = []kube.WaitOption{kube.WithWaitContext(ctx)}
		in.Version = version
		in.SkipCRDs = spec.CRDs != nil
		in.Labels = map[string]string{releaseLabelKey: releaseLabelValue}
		rel, err = in.RunWithContext(ctx, ch, spec.Values)
	} else {
		act = Upgraded
		up := action.NewUpgrade(cfg)
		up.Namespace = spec.Namespace
		up.Labels = map[string]string{releaseLabelKey: releaseLabelValue}
		up.WaitStrategy, up.Timeout = kube.StatusWatcherStrategy, spec.Timeout
		up.WaitOptions = []kube.WaitOption{kube.WithWaitContext(ctx)}
		rel, err = up.RunWithContext(ctx, spec.Name, ch, spec.Values)
	}
	if err != nil {
		return Result{}, r.explain(ctx, cfg, spec, err)
	}
	out := Result{Action: act, ChartVersion: version}
	if v1, ok := rel.(*releasev1.Release); ok {
		out.Revision = v1.Version
	}
	return out, nil
}

func current(cfg *action.Configuration, name string) (*releasev1.Release, error) {
	rel, err := cfg.Releases.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("helm: read release %s: %w", name, err)
	}
	v1, ok := rel.(*releasev1.Release)
	if !ok {
		return nil, fmt.Errorf("helm: release %s has an unsupported format %T", name, rel)
	}
	return v1, nil
}

// recover handles a release a killed run left in a pending state: a first
// install that never finished is removed so it can be installed afresh; an
// interrupted upgrade or rollback is marked failed so it can be upgraded.
func (r *Releaser) recover(ctx context.Context, cfg *action.Configuration, rel *releasev1.Release) (*releasev1.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rel.Info.Status == rcommon.StatusPendingInstall && rel.Version == 1 {
		un := action.NewUninstall(cfg)
		un.WaitStrategy = kube.HookOnlyStrategy
		if _, err := un.Run(rel.Name); err != nil {
			return nil, fmt.Errorf("helm: clean up interrupted install of %s: %w", rel.Name, err)
		}
		return nil, nil
	}
	rel.SetStatus(rcommon.StatusFailed, "interrupted; recovered by fleetup")
	if err := cfg.Releases.Update(rel); err != nil {
		return nil, fmt.Errorf("helm: recover interrupted release %s: %w", rel.Name, err)
	}
	return rel, nil
}

func sameValues(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(normalize(a), normalize(b))
}

// normalize makes values from JSON (a stored release) and from YAML
// comparable: every number becomes float64.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = normalize(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = normalize(val)
		}
		return out
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case int32:
		return float64(t)
	}
	return v
}
