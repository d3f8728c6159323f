package argocd

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Refresh asks Argo CD to compare each named Application in ns with Git
// again now, resolving its branch anew (a requested refresh bypasses the
// repo-server's revision cache): a rerun must not judge an addon by a
// commit older than the one it was started on. Applications that do not
// exist are skipped; Read reports an Application as not current until
// the controller has done it.
func Refresh(ctx context.Context, kc *kube.Client, ns string, names ...string) error {
	return annotate(ctx, kc, kube.Applications, "Application", ns, RefreshAnnotation, "normal", names)
}

// annotate sets an annotation on each named object of gvr in ns, skipping
// the ones that do not exist.
func annotate(ctx context.Context, kc *kube.Client, gvr schema.GroupVersionResource, kind, ns, key, value string, names []string) error {
	patch := []byte(`{"metadata":{"annotations":{"` + key + `":"` + value + `"}}}`)
	ri := kc.Dynamic.Resource(gvr).Namespace(ns)
	for _, name := range names {
		_, err := ri.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
		if apierrors.IsNotFound(err) || kube.IsNoMatch(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("refresh %s %s/%s: %w", kind, ns, name, err)
		}
	}
	return nil
}

// AppSetRefreshAnnotation asks the ApplicationSet controller to reconcile
// an ApplicationSet now; it removes it when done.
const AppSetRefreshAnnotation = "argocd.argoproj.io/application-set-refresh"

// RefreshApplicationSets asks the ApplicationSet controller to generate
// each named ApplicationSet in ns again now. After an error (its API
// server was unreachable for a while) a cluster generator's ApplicationSet
// stays in error until its next periodic reconcile, minutes later, though
// nothing is wrong any more. Missing ApplicationSets are skipped.
func RefreshApplicationSets(ctx context.Context, kc *kube.Client, ns string, names ...string) error {
	return annotate(ctx, kc, kube.ApplicationSets, "ApplicationSet", ns, AppSetRefreshAnnotation, "true", names)
}

// TerminateOperation stops the Application's running operation, as
// `argocd app terminate-op` does: the controller ends it at its next
// step. For a sync retrying a superseded revision (an automated sync with
// retries never gives up on its revision), so that the new one starts now
// rather than after the next backoff.
func TerminateOperation(ctx context.Context, kc *kube.Client, ns, name string) error {
	patch := []byte(`{"status":{"operationState":{"phase":"Terminating"}}}`)
	_, err := kc.Dynamic.Resource(kube.Applications).Namespace(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("terminate the operation of Application %s/%s: %w", ns, name, err)
	}
	return nil
}
