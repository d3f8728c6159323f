package argocd

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/report"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// WaitHealthy watches the Application ns/name until it is Healthy (the
// verdict of Healthy), failing at once on a failed verdict and when it
// stays Degraded for grace: a Degraded that clears is normal, for example
// an ApplicationSet whose controller lost the API server for a while
// reports an error until its next reconcile, which WaitHealthy asks for
// when one of the Application's ApplicationSets is Degraded. An absent
// Application is waited for. what describes the wait for the error
// message.
func WaitHealthy(ctx context.Context, kc *kube.Client, ns, name, what string, grace time.Duration) (Application, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		app      Application
		degraded *time.Timer
	)
	defer func() {
		if degraded != nil {
			degraded.Stop()
		}
	}()
	_, err := kc.WaitFor(ctx, kube.Applications, ns, name, what, func(u *unstructured.Unstructured) (bool, error) {
		if u == nil {
			return false, nil
		}
		app = Read(u)
		v := app.Verdict()
		switch {
		case v.State == report.AddonFailed:
			return false, fmt.Errorf("%s", v.Message)
		case v.State == report.AddonDegraded && degraded == nil:
			degraded = time.AfterFunc(grace, func() { cancel(fmt.Errorf("Degraded for %v", grace)) })
			if err := RefreshApplicationSets(ctx, kc, ns, app.DegradedAppSets...); err != nil {
				return false, err
			}
		case v.State != report.AddonDegraded && degraded != nil:
			degraded.Stop()
			degraded = nil
		}
		return v.State == report.AddonHealthy, nil
	})
	return app, err
}
