package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

// A standIn plays, for one kind, the operator that cannot run here (kwok's
// nodes run no containers), as kwok plays the kubelet: once an object of
// that kind exists, it writes the status the operator writes when the
// thing is up. Argo CD's own health checks then read that status, exactly
// as on a real hub.
type standIn struct {
	gvr    schema.GroupVersionResource
	status func(obj *unstructured.Unstructured) map[string]any
	// before runs, and must succeed, before the status is written: what the
	// operator has done by the time it reports the object up (the CRDs
	// Crossplane's package manager installs for a provider).
	before func(ctx context.Context, obj *unstructured.Unstructured) error
}

// condition is a metav1.Condition as operators write it.
func standInCondition(typ, reason string, generation int64) map[string]any {
	return map[string]any{"type": typ, "status": "True", "reason": reason, "message": "fleetup e2e stand-in",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339), "observedGeneration": generation}
}

func conditions(obj *unstructured.Unstructured, types ...[2]string) map[string]any {
	var cs []any
	for _, c := range types {
		cs = append(cs, standInCondition(c[0], c[1], obj.GetGeneration()))
	}
	return map[string]any{"conditions": cs}
}

// platformStandIns are the operators of the shipped catalog: cert-manager,
// Envoy Gateway, the Keycloak Operator, CloudNativePG and Crossplane's
// package manager (which also makes the CRDs the AWS family provider
// brings, as ClusterProviderConfig's).
func platformStandIns() []standIn {
	return []standIn{
		{gvr: kube.GVR("cert-manager.io", "v1", "certificates"), status: func(o *unstructured.Unstructured) map[string]any {
			return conditions(o, [2]string{"Ready", "Ready"})
		}},
		{gvr: kube.GVR("cert-manager.io", "v1", "clusterissuers"), status: func(o *unstructured.Unstructured) map[string]any {
			return conditions(o, [2]string{"Ready", "ACMEAccountRegistered"})
		}},
		{gvr: kube.GVR("gateway.networking.k8s.io", "v1", "gateways"), status: func(o *unstructured.Unstructured) map[string]any {
			return conditions(o, [2]string{"Accepted", "Accepted"}, [2]string{"Programmed", "Programmed"})
		}},
		{gvr: kube.GVR("gateway.networking.k8s.io", "v1", "httproutes"), status: func(o *unstructured.Unstructured) map[string]any {
			refs, _, _ := unstructured.NestedSlice(o.Object, "spec", "parentRefs")
			var parents []any
			for _, r := range refs {
				parents = append(parents, map[string]any{
					"parentRef": r, "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
					"conditions": conditions(o, [2]string{"Accepted", "Accepted"}, [2]string{"ResolvedRefs", "ResolvedRefs"})["conditions"],
				})
			}
			return map[string]any{"parents": parents}
		}},
		{gvr: kube.GVR("k8s.keycloak.org", "v2beta1", "keycloaks"), status: func(o *unstructured.Unstructured) map[string]any {
			return conditions(o, [2]string{"Ready", ""})
		}, before: keycloakInitialAdmin},
		{gvr: kube.GVR("k8s.keycloak.org", "v2beta1", "keycloakrealmimports"), status: func(o *unstructured.Unstructured) map[string]any {
			return conditions(o, [2]string{"Done", ""})
		}},
		{gvr: kube.GVR("postgresql.cnpg.io", "v1", "clusters"), status: func(o *unstructured.Unstructured) map[string]any {
			s := conditions(o, [2]string{"Ready", "ClusterIsReady"})
			s["phase"] = "Cluster in healthy state"
			return s
		}},
		{gvr: kube.GVR("pkg.crossplane.io", "v1", "providers"), status: func(o *unstructured.Unstructured) map[string]any {
			return conditions(o, [2]string{"Installed", "ActivePackageRevision"}, [2]string{"Healthy", "HealthyPackageRevision"})
		}, before: providerCRDs},
	}
}

// keycloakInitialAdmin writes Secret <name>-initial-admin, Keycloak's
// temporary admin, as the Keycloak Operator does before Keycloak is up.
func keycloakInitialAdmin(ctx context.Context, o *unstructured.Unstructured) error {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: o.GetName() + "-initial-admin", Namespace: o.GetNamespace()},
		Type:       corev1.SecretTypeBasicAuth,
		StringData: map[string]string{"username": "temp-admin", "password": rand.Text()},
	}
	_, err := env.Client.Typed.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// providerCRDs makes the CRD the AWS family provider brings that the
// catalog itself uses (ClusterProviderConfig) and waits until it is
// established, as Crossplane's package manager does before it reports the
// provider Healthy.
func providerCRDs(ctx context.Context, o *unstructured.Unstructured) error {
	if o.GetName() != "provider-family-aws" {
		return nil
	}
	crd := map[string]any{}
	if err := yaml.Unmarshal([]byte(stubCRD("aws.m.upbound.io", "v1beta1", "ClusterProviderConfig", "clusterproviderconfigs", "Cluster")), &crd); err != nil {
		return err
	}
	_, err := env.Client.Dynamic.Resource(kube.CRDs).Create(ctx, &unstructured.Unstructured{Object: crd}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = env.Client.WaitFor(wait, kube.CRDs, "", "clusterproviderconfigs.aws.m.upbound.io", "established", kube.ConditionTrue("Established"))
	return err
}

// startStandIns runs the stand-ins until the test ends: a kind's informer
// starts once its CRD is established (the charts under test install the
// CRDs, in their order).
func startStandIns(t *testing.T, ins []standIn) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	crds := dynamicinformer.NewDynamicSharedInformerFactory(env.Client.Dynamic, 0)
	// The resync hands every object to the stand-in again: a status write
	// that failed (a conflict, the API server busy) is tried again, as an
	// operator's requeue does.
	objs := dynamicinformer.NewDynamicSharedInformerFactory(env.Client.Dynamic, 5*time.Second)
	var mu sync.Mutex
	started := map[schema.GroupVersionResource]bool{}
	onCRD := func(o any) {
		crd, ok := o.(*unstructured.Unstructured)
		if !ok || !kube.HasCondition(crd, "Established", "True", "") {
			return
		}
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
		for _, in := range ins {
			if in.gvr.Group != group || in.gvr.Resource != plural {
				continue
			}
			mu.Lock()
			if started[in.gvr] {
				mu.Unlock()
				continue
			}
			started[in.gvr] = true
			mu.Unlock()
			inf := objs.ForResource(in.gvr).Informer()
			play := func(o any) {
				if u, ok := o.(*unstructured.Unstructured); ok {
					if err := in.play(ctx, u); err != nil && ctx.Err() == nil {
						t.Logf("stand-in %s %s/%s: %v", in.gvr.Resource, u.GetNamespace(), u.GetName(), err)
					}
				}
			}
			if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: play, UpdateFunc: func(_, o any) { play(o) }}); err != nil {
				t.Errorf("stand-in %s: %v", in.gvr, err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); inf.Run(ctx.Done()) }()
		}
	}
	inf := crds.ForResource(kube.GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: onCRD, UpdateFunc: func(_, o any) { onCRD(o) }}); err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); inf.Run(ctx.Done()) }()
}

// play writes the status unless the object has it already (the Gateway
// API's CRDs default a Gateway's conditions to Unknown: that is not up).
func (in standIn) play(ctx context.Context, o *unstructured.Unstructured) error {
	if o.GetDeletionTimestamp() != nil {
		return nil
	}
	want := in.status(o)
	if has(o, want) {
		return nil
	}
	if in.before != nil {
		if err := in.before(ctx, o); err != nil {
			return err
		}
	}
	patch, err := json.Marshal(map[string]any{"status": want})
	if err != nil {
		return err
	}
	r := env.Client.Dynamic.Resource(in.gvr).Namespace(o.GetNamespace())
	if _, err := r.Patch(ctx, o.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// stubCRD is a CRD of one served version with any fields and a status
// subresource: the shape of an operator's CRD whose schema this test
// does not need.
func stubCRD(group, version, kind, plural, scope string) string {
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[4]s.%[1]s
spec:
  group: %[1]s
  scope: %[5]s
  names: {plural: %[4]s, kind: %[3]s, listKind: %[3]sList}
  versions:
    - name: %[2]s
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`, group, version, kind, plural, scope)
}

// has: o's status already says what want says, of o's current generation
// (each wanted condition True and observed at it, as many parents, the
// same phase): a changed spec is reported on again, as operators do.
func has(o *unstructured.Unstructured, want map[string]any) bool {
	st, _, _ := unstructured.NestedMap(o.Object, "status")
	if st == nil {
		return false
	}
	if phase, ok := want["phase"]; ok && st["phase"] != phase {
		return false
	}
	if parents, ok := want["parents"].([]any); ok {
		got, _ := st["parents"].([]any)
		if len(got) != len(parents) {
			return false
		}
		for i, p := range parents {
			g, _ := got[i].(map[string]any)
			if !hasConditions(g, p.(map[string]any), o.GetGeneration()) {
				return false
			}
		}
		return true
	}
	return hasConditions(st, want, o.GetGeneration())
}

// hasConditions: each condition of want is in got, True, observed at
// generation.
func hasConditions(got, want map[string]any, generation int64) bool {
	have, _ := got["conditions"].([]any)
	wanted, _ := want["conditions"].([]any)
	for _, w := range wanted {
		if !slices.ContainsFunc(have, func(c any) bool {
			m, _ := c.(map[string]any)
			return m["type"] == w.(map[string]any)["type"] && m["status"] == "True" && fmt.Sprint(m["observedGeneration"]) == fmt.Sprint(generation)
		}) {
			return false
		}
	}
	return true
}
