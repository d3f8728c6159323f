package envtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func deployment(ns, name string, replicas int, podAnnotations string, extraSpec string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  replicas: %[3]d
%[5]s  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
      annotations: {%[4]s}
    spec:
      containers:
        - name: app
          image: example.invalid/app:1
`, ns, name, replicas, podAnnotations, extraSpec)
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	apply(t, deployment(ns, "web", 3, "", ""))
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.Deployments, ns, "web", "Deployment web to be Available", condition("Available", "True", "")); err != nil {
		t.Fatal(err)
	}
}

// TestReadyDelay: the ready-delay annotation holds a pod back for that long,
// judged by the pod's own timestamps rather than the test's clock.
func TestReadyDelay(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	apply(t, deployment(ns, "slow", 1, `"fleetup.dev/ready-delay": "4s"`, ""))
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.Deployments, ns, "slow", "Deployment slow to be Available", condition("Available", "True", "")); err != nil {
		t.Fatal(err)
	}
	pods, err := env.Client.Typed.CoreV1().Pods(ns).List(ctx(t, time.Minute), metav1.ListOptions{LabelSelector: "app=slow"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods: %v %v", err, pods)
	}
	p := pods.Items[0]
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			if d := c.LastTransitionTime.Sub(p.CreationTimestamp.Time); d < 3*time.Second {
				t.Errorf("pod Ready %v after creation, want at least the 4s delay (timestamps have 1s resolution)", d)
			}
		}
	}
}

// TestFailingPodFailsDeployment: the fail annotation makes the pods
// crash-loop and the Deployment exceed its progress deadline.
func TestFailingPodFailsDeployment(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	apply(t, deployment(ns, "broken", 1, `"fleetup.dev/fail": "true"`, "  progressDeadlineSeconds: 5\n"))
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.Deployments, ns, "broken", "Deployment broken to fail", condition("Progressing", "False", "ProgressDeadlineExceeded")); err != nil {
		t.Fatal(err)
	}
	pods, err := env.Client.Typed.CoreV1().Pods(ns).List(ctx(t, time.Minute), metav1.ListOptions{LabelSelector: "app=broken"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("pods: %v", err)
	}
	st := pods.Items[0].Status.ContainerStatuses
	if len(st) == 0 || st[0].State.Waiting == nil || st[0].State.Waiting.Reason != "CrashLoopBackOff" || st[0].Ready {
		t.Errorf("container status %+v, want waiting in CrashLoopBackOff", st)
	}
}

func TestJobCompletes(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	apply(t, strings.ReplaceAll(`apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: NS}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: run, image: example.invalid/job:1}]
`, "NS", ns))
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.GVR("batch", "v1", "jobs"), ns, "once", "Job once to complete", condition("Complete", "True", "")); err != nil {
		t.Fatal(err)
	}
}
