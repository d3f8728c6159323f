package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxLinkHops bounds symbolic link resolution, as the kernel's ELOOP does.
const maxLinkHops = 40

// TreeFS is a commit's tree as a read-only file system: fs.FS with
// ReadFile, ReadDir, Stat and the symbolic link calls. Symbolic links are
// followed inside the tree as a checkout would follow them; a link that
// leaves the tree is an error. A submodule is an empty directory (its
// commit is in another repository). Safe for concurrent use.
type TreeFS struct {
	*objects
	root    plumbing.Hash // zero: the empty tree
	modTime time.Time
}

// objects is the object storage a tree and its subtrees read.
type objects struct {
	st storer.EncodedObjectStorer
	// mu serialises object reads: go-git's object storage is not safe
	// for concurrent use, and loaders read files in parallel.
	mu   sync.Mutex
	dirs map[plumbing.Hash]*treeDir
}

// newTreeFS serves the tree root (zero: an empty tree); every entry's
// modification time is modTime, the commit's time.
func newTreeFS(st storer.EncodedObjectStorer, root plumbing.Hash, modTime time.Time) *TreeFS {
	return &TreeFS{objects: &objects{st: st, dirs: map[plumbing.Hash]*treeDir{}}, root: root, modTime: modTime}
}

// Sub is the subtree dir as a TreeFS (fs.Sub uses it, so the result keeps
// BlobHash). A missing dir is an empty tree: nothing is found in it.
func (f *TreeFS) Sub(dir string) (fs.FS, error) {
	n, err := f.find("sub", dir, true)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &TreeFS{objects: f.objects, modTime: f.modTime}, nil
	case err != nil:
		return nil, err
	case !isDir(n.mode):
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: errors.New("not a directory")}
	case n.mode == filemode.Submodule:
		return &TreeFS{objects: f.objects, modTime: f.modTime}, nil
	}
	return &TreeFS{objects: f.objects, root: n.hash, modTime: f.modTime}, nil
}

// BlobHash is a file's Git blob id (links followed), known from its tree
// without reading the file: a reader can tell unchanged files apart
// cheaply.
func (f *TreeFS) BlobHash(name string) (string, error) {
	n, err := f.find("hash", name, true)
	if err != nil {
		return "", err
	}
	if isDir(n.mode) {
		return "", &fs.PathError{Op: "hash", Path: name, Err: errors.New("is a directory")}
	}
	return n.hash.String(), nil
}

// treeDir is one decoded tree, its entries sorted by name (Git sorts a
// directory as if its name ended in "/").
type treeDir struct {
	entries []object.TreeEntry
	byName  map[string]int
}

// node is an entry of the tree: the root, a directory, a file, a link.
type node struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (f *TreeFS) rootNode() node { return node{name: ".", mode: filemode.Dir, hash: f.root} }

// Open opens name: a file, or a directory (fs.ReadDirFile).
func (f *TreeFS) Open(name string) (fs.File, error) {
	n, err := f.find("open", name, true)
	if err != nil {
		return nil, err
	}
	if isDir(n.mode) {
		entries, err := f.readDir("open", name, n)
		if err != nil {
			return nil, err
		}
		return &dirFile{info: f.info(n, 0), path: name, entries: entries}, nil
	}
	data, err := f.blob("open", name, n.hash)
	if err != nil {
		return nil, err
	}
	return &blobFile{info: f.info(n, int64(len(data))), r: bytes.NewReader(data)}, nil
}

// ReadFile reads a whole file.
func (f *TreeFS) ReadFile(name string) ([]byte, error) {
	n, err := f.find("read", name, true)
	if err != nil {
		return nil, err
	}
	if isDir(n.mode) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return f.blob("read", name, n.hash)
}

// ReadDir lists a directory sorted by name.
func (f *TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.find("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !isDir(n.mode) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return f.readDir("readdir", name, n)
}

// Stat describes name, following a final symbolic link.
func (f *TreeFS) Stat(name string) (fs.FileInfo, error) { return f.stat("stat", name, true) }

// Lstat describes name without following a final symbolic link.
func (f *TreeFS) Lstat(name string) (fs.FileInfo, error) { return f.stat("lstat", name, false) }

// ReadLink returns a symbolic link's target as stored.
func (f *TreeFS) ReadLink(name string) (string, error) {
	n, err := f.find("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: errors.New("not a symbolic link")}
	}
	target, err := f.blob("readlink", name, n.hash)
	return string(target), err
}

func (f *TreeFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	n, err := f.find(op, name, follow)
	if err != nil {
		return nil, err
	}
	return f.sized(op, name, n)
}

// sized is n's FileInfo with its blob's size.
func (f *TreeFS) sized(op, name string, n node) (fs.FileInfo, error) {
	if isDir(n.mode) {
		return f.info(n, 0), nil
	}
	f.mu.Lock()
	obj, err := f.st.EncodedObject(plumbing.BlobObject, n.hash)
	f.mu.Unlock()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("blob %s: %w", n.hash, err)}
	}
	return f.info(n, obj.Size()), nil
}

// find walks to name; symbolic links on the way are followed, the last
// one only when follow is set.
func (f *TreeFS) find(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	hops := 0
	n, err := f.walk(name, follow, &hops)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

func (f *TreeFS) walk(name string, follow bool, hops *int) (node, error) {
	cur := f.rootNode()
	if name == "." {
		return cur, nil
	}
	parts := strings.Split(name, "/")
	at := "."
	for i, part := range parts {
		if !isDir(cur.mode) {
			return node{}, fs.ErrNotExist // a file in the middle of the path
		}
		d, err := f.dir(cur)
		if err != nil {
			return node{}, err
		}
		j, ok := d.byName[part]
		if !ok {
			return node{}, fs.ErrNotExist
		}
		e := d.entries[j]
		next := node{name: part, mode: e.Mode, hash: e.Hash}
		at = path.Join(at, part)
		if next.mode == filemode.Symlink && (follow || i < len(parts)-1) {
			if *hops++; *hops > maxLinkHops {
				return node{}, errors.New("too many levels of symbolic links")
			}
			target, err := f.blob("readlink", at, next.hash)
			if err != nil {
				return node{}, err
			}
			dest := path.Join(path.Dir(at), string(target))
			if path.IsAbs(string(target)) || dest == ".." || strings.HasPrefix(dest, "../") {
				return node{}, fmt.Errorf("symbolic link %s -> %s leads out of the commit's tree", at, target)
			}
			resolved, err := f.walk(dest, true, hops)
			if err != nil {
				return node{}, err
			}
			next = node{name: part, mode: resolved.mode, hash: resolved.hash}
		}
		cur = next
	}
	return cur, nil
}

// dir decodes a directory's tree once.
func (f *TreeFS) dir(n node) (*treeDir, error) {
	if n.mode == filemode.Submodule || n.hash.IsZero() {
		return &treeDir{}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.dirs[n.hash]; ok {
		return d, nil
	}
	t, err := object.GetTree(f.st, n.hash)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", n.hash, err)
	}
	entries := slices.Clone(t.Entries)
	slices.SortFunc(entries, func(a, b object.TreeEntry) int { return strings.Compare(a.Name, b.Name) })
	d := &treeDir{entries: entries, byName: make(map[string]int, len(entries))}
	for i, e := range entries {
		d.byName[e.Name] = i
	}
	f.dirs[n.hash] = d
	return d, nil
}

func (f *TreeFS) readDir(op, name string, n node) ([]fs.DirEntry, error) {
	d, err := f.dir(n)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(d.entries))
	for i, e := range d.entries {
		out[i] = &dirEntry{fsys: f, path: path.Join(name, e.Name), n: node{name: e.Name, mode: e.Mode, hash: e.Hash}}
	}
	return out, nil
}

// blob reads a blob whole: fleet files are small, and a reader over the
// object storage would hold the lock while the caller reads.
func (f *TreeFS) blob(op, name string, h plumbing.Hash) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	obj, err := f.st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("blob %s: %w", h, err)}
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("blob %s: %w", h, err)}
	}
	defer r.Close()
	data := make([]byte, 0, obj.Size())
	buf := bytes.NewBuffer(data)
	if _, err := io.Copy(buf, r); err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("blob %s: %w", h, err)}
	}
	return buf.Bytes(), nil
}

func isDir(m filemode.FileMode) bool { return m == filemode.Dir || m == filemode.Submodule }

// info describes n; size is the blob's, 0 for directories.
func (f *TreeFS) info(n node, size int64) *fileInfo {
	return &fileInfo{name: n.name, size: size, mode: fileMode(n.mode), modTime: f.modTime}
}

// fileMode is what a checkout makes of a Git mode.
func fileMode(m filemode.FileMode) fs.FileMode {
	switch m {
	case filemode.Dir, filemode.Submodule:
		return fs.ModeDir | 0o755
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	}
	return 0o644
}

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) Mode() fs.FileMode  { return i.mode }
func (i *fileInfo) ModTime() time.Time { return i.modTime }
func (i *fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *fileInfo) Sys() any           { return nil }

// dirEntry is a listed entry; its size is read only when Info asks.
type dirEntry struct {
	fsys *TreeFS
	path string
	n    node
}

func (e *dirEntry) Name() string               { return e.n.name }
func (e *dirEntry) IsDir() bool                { return isDir(e.n.mode) }
func (e *dirEntry) Type() fs.FileMode          { return fileMode(e.n.mode).Type() }
func (e *dirEntry) Info() (fs.FileInfo, error) { return e.fsys.sized("stat", e.path, e.n) }
func (e *dirEntry) String() string             { return fs.FormatDirEntry(e) }

type blobFile struct {
	info *fileInfo
	r    *bytes.Reader
}

func (b *blobFile) Stat() (fs.FileInfo, error)                { return b.info, nil }
func (b *blobFile) Read(p []byte) (int, error)                { return b.r.Read(p) }
func (b *blobFile) ReadAt(p []byte, off int64) (int, error)   { return b.r.ReadAt(p, off) }
func (b *blobFile) Seek(off int64, whence int) (int64, error) { return b.r.Seek(off, whence) }
func (b *blobFile) Close() error                              { return nil }

// dirFile is an open directory; ReadDir pages through its entries.
type dirFile struct {
	info    *fileInfo
	path    string
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errors.New("is a directory")}
}
func (d *dirFile) Close() error { return nil }

func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if count <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	count = min(count, len(rest))
	d.off += count
	return rest[:count], nil
}

var (
	_ fs.ReadFileFS  = (*TreeFS)(nil)
	_ fs.ReadDirFS   = (*TreeFS)(nil)
	_ fs.StatFS      = (*TreeFS)(nil)
	_ fs.ReadLinkFS  = (*TreeFS)(nil)
	_ fs.SubFS       = (*TreeFS)(nil)
	_ fs.ReadDirFile = (*dirFile)(nil)
	_ io.ReaderAt    = (*blobFile)(nil)
	_ io.Seeker      = (*blobFile)(nil)
)
