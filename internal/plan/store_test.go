package plan

import (
	"strings"
	"testing"
)

func TestForkStoreReplacesFleetups(t *testing.T) {
	boot, err := ReadManifests("testdata/store", []string{"eso"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		region string
		warn   bool
	}{{"us-east-1", false}, {"eu-central-1", true}} {
		cfg := build(t, func(s string) string { return strings.Replace(s, "eu-central-1", tc.region, 1) }).Config
		if cfg.Secrets.StoreName != "aws-secretsmanager" {
			t.Fatalf("store name %q", cfg.Secrets.StoreName)
		}
		s := Secrets{Store: StoreObjects(cfg), Warnings: []string{}}
		useForkStore(cfg, &s, boot)
		if len(s.Store) != 0 || s.StoreFrom != "store/eso/store.yaml" {
			t.Errorf("%s: store %v from %q", tc.region, s.Store, s.StoreFrom)
		}
		if got := len(s.Warnings) == 1 && strings.Contains(s.Warnings[0], `reads region "us-east-1"`); got != tc.warn {
			t.Errorf("%s: warnings %v", tc.region, s.Warnings)
		}
	}
}

// The kubernetes backend keeps its reader RBAC; only the store is dropped.
func TestForkStoreKeepsReader(t *testing.T) {
	p := build(t, func(s string) string {
		return s + "secrets:\n  backend: kubernetes\n  store_name: aws-secretsmanager\n"
	})
	boot, err := ReadManifests("testdata/store", []string{"eso"})
	if err != nil {
		t.Fatal(err)
	}
	s := Secrets{Store: StoreObjects(p.Config), Warnings: []string{}}
	useForkStore(p.Config, &s, boot)
	for _, m := range s.Store {
		if m.Kind == "ClusterSecretStore" {
			t.Errorf("fleetup's store kept")
		}
	}
	if len(s.Store) == 0 || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "secrets.backend is kubernetes") {
		t.Errorf("store %d objects, warnings %v", len(s.Store), s.Warnings)
	}
}

// A fork's store of another name is not fleetup's: both stay.
func TestForkStoreOtherName(t *testing.T) {
	cfg := build(t, nil).Config
	cfg.Secrets.StoreName = "platform"
	boot, err := ReadManifests("testdata/store", []string{"eso"})
	if err != nil {
		t.Fatal(err)
	}
	s := Secrets{Store: StoreObjects(cfg), Warnings: []string{}}
	useForkStore(cfg, &s, boot)
	if len(s.Store) != 1 || s.StoreFrom != "" {
		t.Errorf("store %v from %q", s.Store, s.StoreFrom)
	}
}
