package kube_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// recorder keeps the attempts a client's transport made for requests whose
// URL contains a marker, and signals the first one matching a test.
type recorder struct {
	marker string
	signal func(kube.Attempt) bool
	once   sync.Once
	hit    chan struct{}

	mu   sync.Mutex
	list []kube.Attempt
}

func newRecorder(marker string, signal func(kube.Attempt) bool) *recorder {
	return &recorder{marker: marker, signal: signal, hit: make(chan struct{})}
}

func (r *recorder) observe(a kube.Attempt) {
	if !strings.Contains(a.URL, r.marker) {
		return
	}
	r.mu.Lock()
	r.list = append(r.list, a)
	r.mu.Unlock()
	if r.signal != nil && r.signal(a) {
		r.once.Do(func() { close(r.hit) })
	}
}

func (r *recorder) attempts() []kube.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kube.Attempt(nil), r.list...)
}

// ensureAPIServer starts the shared API server again should a test stop
// with it stopped.
func ensureAPIServer(t *testing.T) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := env.StartAPIServer(ctx); err != nil {
			t.Errorf("start the API server again: %v", err)
		}
	})
}

// TestApplyRidesOutAPIServerOutage: a server-side apply issued while the API
// server is stopped is retried until it is back, then succeeds.
func TestApplyRidesOutAPIServerOutage(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rec := newRecorder("/configmaps/during", func(a kube.Attempt) bool { return a.Method == http.MethodPatch && a.Retry })
	c, err := kube.NewWithRetry(env.Config, kube.RetryOptions{OnAttempt: rec.observe})
	if err != nil {
		t.Fatal(err)
	}
	// Discovery is cached first, so the outage meets the apply itself.
	if _, err := c.Apply(ctx, configMap(ns, "before", nil)); err != nil {
		t.Fatal(err)
	}
	ensureAPIServer(t)
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Apply(ctx, configMap(ns, "during", map[string]string{"when": "outage"}))
		done <- err
	}()
	select {
	case <-rec.hit:
	case err := <-done:
		t.Fatalf("apply ended while the API server was stopped: %v", err)
	case <-ctx.Done():
		t.Fatal("the apply was never attempted")
	}
	if err := env.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("apply across the outage: %v", err)
	}
	got := rec.attempts()
	first, last := got[0], got[len(got)-1]
	if len(got) < 2 || first.Status != 0 || !errors.Is(first.Err, syscall.ECONNREFUSED) || last.Retry || last.Status != http.StatusCreated {
		t.Errorf("attempts: %+v", got)
	}
	cm, err := env.Client.Typed.CoreV1().ConfigMaps(ns).Get(ctx, "during", metav1.GetOptions{})
	if err != nil || cm.Labels["when"] != "outage" {
		t.Fatalf("ConfigMap applied during the outage: %v %v", cm, err)
	}
}

// TestWaitForSurvivesAPIServerOutage: a watch-based wait that began before
// an outage sees a change made after it.
func TestWaitForSurvivesAPIServerOutage(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The wait's watch is established once its request was answered 200.
	rec := newRecorder("/namespaces/"+ns+"/configmaps?", func(a kube.Attempt) bool {
		return strings.Contains(a.URL, "watch=true") && a.Status == http.StatusOK
	})
	c, err := kube.NewWithRetry(env.Config, kube.RetryOptions{OnAttempt: rec.observe})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.WaitFor(ctx, kube.GVR("", "v1", "configmaps"), ns, "signal", "ConfigMap signal to say go", func(o *unstructured.Unstructured) (bool, error) {
			if o == nil {
				return false, nil
			}
			v, _, _ := unstructured.NestedString(o.Object, "data", "state")
			return v == "go", nil
		})
		done <- err
	}()
	select {
	case <-rec.hit:
	case err := <-done:
		t.Fatalf("wait ended before any change: %v", err)
	case <-ctx.Done():
		t.Fatal("the wait never watched")
	}
	ensureAPIServer(t)
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	if err := env.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.ApplyAll(ctx, decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: signal, namespace: "+ns+"}\ndata: {state: go}\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("wait across the outage: %v", err)
	}
}

// TestPermanentErrorsAreNotRetried: 422, 404 and 409 answers, and the 500
// of a mistyped apply, end the request after one attempt, with the
// server's message.
func TestPermanentErrorsAreNotRetried(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		name string
		call func(c *kube.Client) error
		is   func(error) bool
	}{
		{"invalid", func(c *kube.Client) error {
			bad := configMap(ns, "invalid", nil)
			bad.Object["data"] = map[string]any{"not a valid key": "x"}
			_, err := c.Apply(ctx, bad)
			return err
		}, apierrors.IsInvalid},
		{"mistyped", func(c *kube.Client) error {
			// Server-side apply rejects a string where the schema has a
			// number with a 500.
			if err := c.ApplyAll(ctx, decode(t, strings.ReplaceAll(crdAndCR, "NS", ns))); err != nil {
				return err
			}
			bad := decode(t, "apiVersion: test.fleetup.dev/v1\nkind: Widget\nmetadata: {name: mistyped, namespace: "+ns+"}\nspec: {size: big}\n")
			_, err := c.Apply(ctx, bad[0])
			return err
		}, apierrors.IsInternalError},
		{"missing", func(c *kube.Client) error {
			_, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx, "missing", metav1.GetOptions{})
			return err
		}, apierrors.IsNotFound},
		{"twice", func(c *kube.Client) error {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "twice", Namespace: ns}}
			if _, err := c.Typed.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := c.Typed.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
			return err
		}, apierrors.IsAlreadyExists},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder("/namespaces/"+ns+"/", nil)
			cl, err := kube.NewWithRetry(env.Config, kube.RetryOptions{OnAttempt: rec.observe})
			if err != nil {
				t.Fatal(err)
			}
			err = c.call(cl)
			if !c.is(err) {
				t.Fatalf("err = %v", err)
			}
			got := rec.attempts()
			if len(got) == 0 {
				t.Fatal("the transport saw no attempt")
			}
			for _, a := range got {
				if a.Retry {
					t.Errorf("%s %s was retried after HTTP %d", a.Method, a.URL, a.Status)
				}
			}
		})
	}
}
