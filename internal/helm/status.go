package helm

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// ReleaseError is a failed install or upgrade with the resources that were
// not ready and why.
type ReleaseError struct {
	Release   string
	Namespace string
	Err       error
	// Failing lists "Kind namespace/name: status: message" per resource
	// that is not Current.
	Failing []string
}

func (e *ReleaseError) Error() string {
	msg := fmt.Sprintf("helm release %s: %v", e.Release, e.Err)
	if len(e.Failing) > 0 {
		msg += "\n  not ready:\n    " + strings.Join(e.Failing, "\n    ")
	}
	if e.Namespace != "" {
		msg += fmt.Sprintf("\n  look further: kubectl -n %s get all,events -l app.kubernetes.io/instance=%s", e.Namespace, e.Release)
	}
	return msg
}

func (e *ReleaseError) Unwrap() error { return e.Err }

func (r *Releaser) waitHealthy(ctx context.Context, cfg *action.Configuration, rel *releasev1.Release, timeout time.Duration) error {
	res, err := cfg.KubeClient.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return fmt.Errorf("helm release %s: read resources: %w", rel.Name, err)
	}
	var w kube.Waiter
	if kc, ok := cfg.KubeClient.(kube.InterfaceWaitOptions); ok {
		w, err = kc.GetWaiterWithOptions(kube.StatusWatcherStrategy, kube.WithWaitContext(ctx))
	} else {
		w, err = cfg.KubeClient.GetWaiter(kube.StatusWatcherStrategy)
	}
	if err != nil {
		return err
	}
	if err := w.Wait(res, timeout); err != nil {
		return &ReleaseError{Release: rel.Name, Namespace: rel.Namespace, Err: err, Failing: notReady(cfg, rel)}
	}
	return nil
}

// explain wraps an install/upgrade error with the release's resources that
// are not ready, read live from the cluster.
func (r *Releaser) explain(ctx context.Context, cfg *action.Configuration, spec Spec, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("helm release %s: %w", spec.Name, context.Cause(ctx))
	}
	rel, _ := current(cfg, spec.Name)
	if rel == nil {
		return &ReleaseError{Release: spec.Name, Namespace: spec.Namespace, Err: err}
	}
	return &ReleaseError{Release: spec.Name, Namespace: spec.Namespace, Err: err, Failing: notReady(cfg, rel)}
}

// notReady computes kstatus for every resource of the release.
func notReady(cfg *action.Configuration, rel *releasev1.Release) []string {
	res, err := cfg.KubeClient.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return nil
	}
	var out []string
	for _, info := range res {
		if err := info.Get(); err != nil {
			out = append(out, fmt.Sprintf("%s %s: %v", info.Mapping.GroupVersionKind.Kind, info.ObjectName(), err))
			continue
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(info.Object)
		if err != nil {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		st, err := status.Compute(u)
		if err != nil || st.Status == status.CurrentStatus {
			continue
		}
		line := fmt.Sprintf("%s %s: %s", u.GetKind(), nsName(u), st.Status)
		if st.Message != "" {
			line += ": " + st.Message
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

func nsName(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}
