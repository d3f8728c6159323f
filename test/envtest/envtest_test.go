package envtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var env *Env

func TestMain(m *testing.M) {
	os.Exit(Main(m, Options{Nodes: 3, ArgoCD: true, ESO: true}, &env))
}

// ctx bounds one test's waits; every wait inside has this timeout.
func ctx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

func apply(t *testing.T, yaml string) {
	t.Helper()
	objs, err := kube.DecodeYAML([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.ApplyAll(context.Background(), objs); err != nil {
		t.Fatal(err)
	}
}

// condition returns a kube.Condition on status.conditions[type].
func condition(typ, status, reason string) kube.Condition {
	return func(obj *unstructured.Unstructured) (bool, error) {
		return kube.HasCondition(obj, typ, status, reason), nil
	}
}
