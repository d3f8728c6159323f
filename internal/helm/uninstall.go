package helm

import (
	"context"
	"fmt"
	"strings"
	"time"

	fkube "github.com/fleetup/fleetup/internal/kube"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The label on a release record marking it as fleetup's: uninstall
// removes only releases that carry it.
const releaseLabelKey, releaseLabelValue = fkube.ManagedLabel, "true"

// crdName is the name of a CustomResourceDefinition document, or "".
func crdName(doc string) string {
	objs, err := fkube.DecodeYAML([]byte(doc))
	if err != nil || len(objs) != 1 || objs[0].GetKind() != "CustomResourceDefinition" {
		return ""
	}
	return objs[0].GetName()
}

// ReleaseInfo is what uninstall needs to know of an existing release.
type ReleaseInfo struct {
	Name, Namespace string
	Chart, Version  string
	Status          string
	// Owned is false for a release of that name fleetup did not install.
	Owned bool
	// CRDs are the CustomResourceDefinitions the release's templates hold.
	CRDs []string
}

// Get reads a release; nil when there is none.
func (r *Releaser) Get(ctx context.Context, name, namespace string) (*ReleaseInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := r.action(namespace)
	if err != nil {
		return nil, err
	}
	rel, err := current(cfg, name)
	if err != nil || rel == nil {
		return nil, err
	}
	info := &ReleaseInfo{Name: name, Namespace: namespace, Status: string(rel.Info.Status), Owned: rel.Labels[releaseLabelKey] == releaseLabelValue}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		info.Chart, info.Version = rel.Chart.Metadata.Name, rel.Chart.Metadata.Version
	}
	for _, doc := range fkube.SplitDocuments(rel.Manifest) {
		if m := crdName(doc); m != "" {
			info.CRDs = append(info.CRDs, m)
		}
	}
	return info, nil
}

// UninstallOptions shape Uninstall.
type UninstallOptions struct {
	// KeepCRDs leaves the CRDs among the release's templates in place (Helm
	// would delete them, and with them every custom resource).
	KeepCRDs bool
	Timeout  time.Duration
}

// Uninstall removes a release fleetup installed and waits until its
// resources are gone. An absent release is fine (a rerun); a release
// without fleetup's label is left alone and reported by the caller via Get.
func (r *Releaser) Uninstall(ctx context.Context, name, namespace string, o UninstallOptions) error {
	cfg, err := r.action(namespace)
	if err != nil {
		return err
	}
	rel, err := current(cfg, name)
	if err != nil || rel == nil {
		return err
	}
	if rel.Labels[releaseLabelKey] != releaseLabelValue {
		return fmt.Errorf("helm release %s/%s was not installed by fleetup; left alone", namespace, name)
	}
	if o.KeepCRDs {
		if err := dropCRDs(cfg, rel); err != nil {
			return err
		}
	}
	un := action.NewUninstall(cfg)
	un.IgnoreNotFound = true
	un.WaitStrategy, un.Timeout = kube.StatusWatcherStrategy, o.Timeout
	un.WaitOptions = []kube.WaitOption{kube.WithWaitContext(ctx)}
	un.DeletionPropagation = string(metav1.DeletePropagationForeground)
	if _, err := un.Run(name); err != nil {
		return fmt.Errorf("helm uninstall %s/%s: %w", namespace, name, err)
	}
	return nil
}

// dropCRDs removes CRD documents from the stored release manifest, so
// Helm's uninstall does not delete them. Rewriting the record is safe to
// repeat: a second pass finds nothing to drop.
func dropCRDs(cfg *action.Configuration, rel *releasev1.Release) error {
	docs := fkube.SplitDocuments(rel.Manifest)
	kept := docs[:0]
	for _, d := range docs {
		if crdName(d) == "" {
			kept = append(kept, d)
		}
	}
	if len(kept) == len(docs) {
		return nil
	}
	rel.Manifest = "---\n" + strings.Join(kept, "\n---\n")
	if err := cfg.Releases.Update(rel); err != nil {
		return fmt.Errorf("helm: keep the CRDs of %s: %w", rel.Name, err)
	}
	return nil
}
