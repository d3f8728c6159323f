package kube_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func configMap(ns, name string, labels map[string]string, finalizers ...string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetLabels(labels)
	u.SetFinalizers(finalizers)
	return u
}

// TestDeleteOwned: only an object with the owner label is deleted; an
// absent one is fine; finalizers keep it "deleting" until removed, and
// RemoveFinalizers names what it removed.
func TestDeleteOwned(t *testing.T) {
	env.Need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	c := env.Client
	owner := kube.Owner{Key: "fleetup.dev/managed", Value: "true"}

	if res, err := c.DeleteOwned(ctx, configMap(ns, "absent", nil), owner, ""); err != nil || res != kube.Absent {
		t.Fatalf("absent: %v %v", res, err)
	}
	foreign := configMap(ns, "foreign", map[string]string{"app": "theirs"})
	if _, err := c.Apply(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if res, err := c.DeleteOwned(ctx, foreign, owner, ""); err != nil || res != kube.Foreign {
		t.Fatalf("foreign: %v %v", res, err)
	}
	if cur, _ := c.Get(ctx, foreign); cur == nil {
		t.Fatal("a foreign object was deleted")
	}

	held := configMap(ns, "held", map[string]string{owner.Key: owner.Value}, "test.fleetup.dev/a", "test.fleetup.dev/b")
	if _, err := c.Apply(ctx, held); err != nil {
		t.Fatal(err)
	}
	if res, err := c.DeleteOwned(ctx, held, owner, ""); err != nil || res != kube.Deleted {
		t.Fatalf("owned: %v %v", res, err)
	}
	if res, err := c.DeleteOwned(ctx, held, owner, ""); err != nil || res != kube.Deleting {
		t.Fatalf("owned, second delete: %v %v", res, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	if err := c.WaitGone(short, held); err == nil {
		t.Fatal("WaitGone returned while finalizers hold the object")
	}
	cancelShort()
	removed, err := c.RemoveFinalizers(ctx, held, "test.fleetup.dev/a")
	if err != nil || !slices.Equal(removed, []string{"test.fleetup.dev/a"}) {
		t.Fatalf("remove one finalizer: %v %v", removed, err)
	}
	removed, err = c.RemoveFinalizers(ctx, held)
	if err != nil || !slices.Equal(removed, []string{"test.fleetup.dev/b"}) {
		t.Fatalf("remove the rest: %v %v", removed, err)
	}
	if err := c.WaitGone(ctx, held); err != nil {
		t.Fatal(err)
	}
}

// TestAddFinalizer keeps the existing finalizers.
func TestAddFinalizer(t *testing.T) {
	env.Need(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	cm, err := env.Client.Apply(ctx, configMap(ns, "f", nil, "test.fleetup.dev/a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.AddFinalizer(ctx, cm, "test.fleetup.dev/b"); err != nil {
		t.Fatal(err)
	}
	cur, _ := env.Client.Get(ctx, cm)
	if !slices.Equal(cur.GetFinalizers(), []string{"test.fleetup.dev/a", "test.fleetup.dev/b"}) {
		t.Errorf("finalizers: %v", cur.GetFinalizers())
	}
	env.Client.RemoveFinalizers(ctx, cur)
	env.Client.Typed.CoreV1().ConfigMaps(ns).Delete(ctx, "f", metav1.DeleteOptions{})
}
