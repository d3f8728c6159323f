package fleet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fleetup/fleetup/internal/decode"
	"github.com/go-git/go-git/v5/plumbing"
)

// The working tree and HEAD share every unchanged file through the cache:
// a file on disk and the same file in the commit have the same key (its
// Git blob id), so the unchanged clusters' merged values are the same.
func TestLoadCacheSharesAcrossGitAndDisk(t *testing.T) {
	dir := shippedRepo(t)
	replace("fleet/profiles/gpu.yaml", "      maxSize: 4", "      maxSize: 8")(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, "fleet", "profiles", "standard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if id, want := blobID(data), plumbing.ComputeHash(plumbing.BlobObject, data).String(); id != want {
		t.Fatalf("blob id %s, Git's %s", id, want)
	}
	base, head, err := loadHEADAndWorkingTree(context.Background(), dir, NewLoadCache())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dev-acme-fra", "prod-acme-fra"} {
		if base.Cluster(name).Effective != head.Cluster(name).Effective {
			t.Errorf("%s: unchanged, merged twice", name)
		}
	}
	if base.Profiles["gpu"] == head.Profiles["gpu"] || base.Cluster("prod-globex-iad").Effective == head.Cluster("prod-globex-iad").Effective {
		t.Error("the changed profile was reused")
	}
	if base.Profiles["standard"] != head.Profiles["standard"] {
		t.Error("an unchanged profile was parsed again")
	}
}

// What was valid without the catalog check is not reused by a load that
// checks addon names; the other way round it is.
func TestLoadCacheAddonCheck(t *testing.T) {
	ctx := context.Background()
	fsys := exampleFS(t)
	cache := NewLoadCache()
	lax, err := Load(ctx, fsys, "fleet", Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	known := slices.DeleteFunc(catalogAddons(t), func(a string) bool { return a == "external-dns" })
	_, err = Load(ctx, fsys, "fleet", Options{Cache: cache, Addons: known})
	var es decode.Errors
	if !errors.As(err, &es) {
		t.Fatalf("a bundle naming an addon outside the catalog passed through the cache: %v", err)
	}
	strict := NewLoadCache()
	checked, err := Load(ctx, fsys, "fleet", Options{Cache: strict, Addons: catalogAddons(t)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load(ctx, fsys, "fleet", Options{Cache: strict})
	if err != nil {
		t.Fatal(err)
	}
	if again.Clusters[0].Effective != checked.Clusters[0].Effective || lax.Clusters[0].Effective == checked.Clusters[0].Effective {
		t.Error("a checked result was not reused by a load without the check")
	}
}
