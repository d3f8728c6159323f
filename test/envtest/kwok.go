package envtest

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fleetup/fleetup/internal/kube"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

//go:embed stages.yaml
var stagesYAML []byte

// Pod annotations understood by the environment's kwok stages.
const (
	// ReadyDelayAnnotation delays a pod's readiness, e.g. "20s".
	ReadyDelayAnnotation = "fleetup.dev/ready-delay"
	// FailAnnotation set to "true" makes a pod crash-loop.
	FailAnnotation = "fleetup.dev/fail"
)

// startKwok runs kwok (process name proc) for cluster c and makes its
// nodes, waiting until they are Ready.
func (e *Env) startKwok(ctx context.Context, c *Cluster, proc string) error {
	stages := filepath.Join(e.Dir, "kwok-stages.yaml")
	if err := os.WriteFile(stages, stagesYAML, 0o644); err != nil {
		return err
	}
	if _, err := e.run(proc, e.bins.Kwok, []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--manage-all-nodes=true",
		// Lease renewal feeds the node lifecycle controller.
		"--node-lease-duration-seconds=40",
		"--server-address=" + addr(c.ports.kwok),
		"--config=" + stages,
	}, nil); err != nil {
		return err
	}
	for i := 0; i < e.opts.Nodes; i++ {
		name := "kwok-node-" + strconv.Itoa(i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
				Labels:      map[string]string{"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
			},
			Status: corev1.NodeStatus{
				Capacity: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("250"),
				},
				Allocatable: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("250"),
				},
			},
		}
		if _, err := c.Client.Typed.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
	}
	for i := 0; i < e.opts.Nodes; i++ {
		name := "kwok-node-" + strconv.Itoa(i)
		if _, err := c.Client.WaitFor(ctx, kube.GVR("", "v1", "nodes"), "", name, "node "+name+" to be Ready and untainted", nodeReady); err != nil {
			return err
		}
	}
	return nil
}

// nodeReady: Ready=True and the not-ready taint lifted, so pods schedule.
func nodeReady(obj *unstructured.Unstructured) (bool, error) {
	if obj == nil {
		return false, nil
	}
	ready := kube.HasCondition(obj, "Ready", "True", "")
	taints, _, _ := unstructured.NestedSlice(obj.Object, "spec", "taints")
	for _, t := range taints {
		m, _ := t.(map[string]any)
		if k, _ := m["key"].(string); k == "node.kubernetes.io/not-ready" || k == "node.kubernetes.io/unreachable" {
			return false, nil
		}
	}
	return ready, nil
}
