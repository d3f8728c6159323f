// Package record keeps the install record of a platform in its cluster
// (fleetup-system/install-<cluster>): which steps of which plan are done,
// and whether an uninstall started. install resumes from it; status reads it.
package record

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Progress is the install's record in the cluster (a ConfigMap), so a rerun
// from any machine knows what was done. It holds no timestamps: writing the
// same progress twice changes nothing, keeping reruns free of writes.
type Progress struct {
	Namespace, Name string
	// PlanHash identifies the plan the steps were done for.
	PlanHash string
	// Done lists completed steps.
	Done map[string]bool
	// Uninstalling is true once `fleetup uninstall` started.
	Uninstalling bool
	// CRDs are the CRDs the addons' Applications listed when an uninstall
	// started: deleting an Application never deletes its CRDs, and once it
	// is gone nothing else says they were the addon's, so a rerun after an
	// interrupted uninstall still knows them for --purge-crds.
	CRDs []string
	kube *kube.Client
}

// Namespace holds the records.
const (
	Namespace = "fleetup-system"
)

// ProgressName is the record of one platform, by cluster name.
func ProgressName(cluster string) string { return "install-" + cluster }

// Load reads the record; an absent one is empty.
func Load(ctx context.Context, c *kube.Client, cluster string) (*Progress, error) {
	p := &Progress{Namespace: Namespace, Name: ProgressName(cluster), Done: map[string]bool{}, kube: c}
	cm, err := c.Get(ctx, p.object())
	if err != nil {
		return nil, fmt.Errorf("read install progress: %w", err)
	}
	if cm == nil {
		return p, nil
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	p.PlanHash = data["plan"]
	p.Uninstalling = data[uninstallKey] == "started"
	if v := data[crdsKey]; v != "" {
		p.CRDs = strings.Split(v, "\n")
	}
	for k, v := range data {
		if len(k) > 5 && k[:5] == "step." && v == "done" {
			p.Done[k[5:]] = true
		}
	}
	return p, nil
}

func (p *Progress) object() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": p.Name, "namespace": p.Namespace, "labels": plan.ManagedLabels(nil)},
	}}
}

// Begin starts a run for planHash; a different plan resets the record.
func (p *Progress) Begin(ctx context.Context, planHash string) error {
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": p.Namespace, "labels": plan.ManagedLabels(nil)},
	}}
	if _, err := p.kube.Apply(ctx, ns); err != nil {
		return fmt.Errorf("record install progress: %w", err)
	}
	if p.PlanHash != planHash {
		p.PlanHash, p.Done = planHash, map[string]bool{}
	}
	return p.save(ctx)
}

// MarkDone records a finished step.
func (p *Progress) MarkDone(ctx context.Context, step string) error {
	p.Done[step] = true
	return p.save(ctx)
}

func (p *Progress) save(ctx context.Context) error {
	data := map[string]any{"plan": p.PlanHash}
	if p.Uninstalling {
		data[uninstallKey] = "started"
	}
	if len(p.CRDs) > 0 {
		data[crdsKey] = strings.Join(p.CRDs, "\n")
	}
	for s := range p.Done {
		data["step."+s] = "done"
	}
	o := p.object()
	o.Object["data"] = data
	if _, err := p.kube.Apply(ctx, o); err != nil {
		return fmt.Errorf("record install progress: %w", err)
	}
	return nil
}

// Keys of the uninstall's data: uninstallKey is set once an uninstall
// started (status reports it), crdsKey holds CRDs, one name a line.
const (
	uninstallKey = "uninstall"
	crdsKey      = "uninstall.crds"
)

// BeginUninstall marks the platform as being uninstalled and adds crds to
// the recorded CRDs (what an earlier, interrupted run recorded is kept),
// when it has a record (a platform without one has nothing for status to
// follow).
func (p *Progress) BeginUninstall(ctx context.Context, crds []string) error {
	if p.PlanHash == "" && len(p.Done) == 0 {
		return nil
	}
	p.Uninstalling = true
	p.CRDs = MergeNames(p.CRDs, crds)
	return p.save(ctx)
}

// MergeNames is the sorted union of a and b, without duplicates, so the
// record reads the same however often a name is added.
func MergeNames(a, b []string) []string {
	out := append(append([]string{}, a...), b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}

// Remove deletes the record, and fleetup's namespace once no other
// platform's record is left in it.
func (p *Progress) Remove(ctx context.Context, owner kube.Owner) error {
	if _, err := p.kube.DeleteOwned(ctx, p.object(), owner, ""); err != nil {
		return fmt.Errorf("remove install record: %w", err)
	}
	left, err := p.kube.Typed.CoreV1().ConfigMaps(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: plan.LabelManaged + "=true"})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("remove install record: %w", err)
	}
	for _, cm := range left.Items {
		if cm.Name != p.Name && cm.DeletionTimestamp == nil {
			return nil // another platform's record
		}
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": p.Namespace}}}
	if _, err := p.kube.DeleteOwned(ctx, ns, owner, ""); err != nil {
		return fmt.Errorf("remove namespace %s: %w", p.Namespace, err)
	}
	return nil
}
