package gitrepo

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/storage/memory"
)

// RemoteTags lists the tags of the repository at url, as `git ls-remote
// --tags` does, without cloning it: the versions an addon kept in a Git
// repository of its own offers. Credentials are the transport's defaults
// (none for https, the SSH agent for ssh).
func RemoteTags(ctx context.Context, url string) ([]string, error) {
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the tags of %s: %w", url, err)
	}
	var tags []string
	for _, r := range refs {
		if r.Name().IsTag() {
			tags = append(tags, r.Name().Short())
		}
	}
	sort.Strings(tags)
	return tags, nil
}
