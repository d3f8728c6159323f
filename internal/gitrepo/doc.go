// Package gitrepo is the Git repository that holds the platform and its
// fleet, read with go-git (no git binary). The read side opens the
// repository around a directory, resolves revisions as git rev-parse does
// (HEAD, branches, tags, abbreviated hashes, HEAD~1) and exposes a commit's
// tree as an fs.FS, so that the same loaders that read the working tree
// read any revision: `fleet diff` loads the fleet twice this way.
package gitrepo
