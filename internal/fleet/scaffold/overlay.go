package scaffold

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Overlay is Base with files added, replaced or removed, in memory: the
// fleet as it would be after a write, for the loader to check before
// anything touches the disk.
type Overlay struct {
	Base fs.FS
	// Files add or replace files, by path in Base.
	Files map[string][]byte
	// Removed hides files of Base.
	Removed map[string]bool
}

var (
	_ fs.ReadFileFS = (*Overlay)(nil)
	_ fs.ReadDirFS  = (*Overlay)(nil)
)

// Open opens a file of the overlay.
func (o *Overlay) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := o.Files[name]; ok {
		return &memFile{info: info{name: path.Base(name), size: int64(len(data))}, r: bytes.NewReader(data)}, nil
	}
	if o.Removed[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	dir := &memDir{stat: info{name: path.Base(name), dir: true}, o: o, path: name}
	f, err := o.Base.Open(name)
	if errors.Is(err, fs.ErrNotExist) && o.hasUnder(name) {
		return dir, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.IsDir() {
		return f, err
	}
	// A directory lists what the overlay adds and hides.
	dir.stat = st
	return dir, f.Close()
}

// ReadFile reads a file of the overlay.
func (o *Overlay) ReadFile(name string) ([]byte, error) {
	if data, ok := o.Files[name]; ok {
		return bytes.Clone(data), nil
	}
	if o.Removed[name] {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return fs.ReadFile(o.Base, name)
}

// ReadDir lists a directory of the overlay, sorted by name.
func (o *Overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	base, err := fs.ReadDir(o.Base, name)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && o.hasUnder(name)) {
		return nil, err
	}
	byName := map[string]fs.DirEntry{}
	for _, e := range base {
		if !o.Removed[path.Join(name, e.Name())] {
			byName[e.Name()] = e
		}
	}
	for p, data := range o.Files {
		rest, ok := under(name, p)
		if !ok {
			continue
		}
		if child, _, deeper := strings.Cut(rest, "/"); deeper {
			if _, seen := byName[child]; !seen {
				byName[child] = info{name: child, dir: true}
			}
		} else {
			byName[child] = info{name: child, size: int64(len(data))}
		}
	}
	out := make([]fs.DirEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// hasUnder says whether an added file lies below dir.
func (o *Overlay) hasUnder(dir string) bool {
	for p := range o.Files {
		if _, ok := under(dir, p); ok {
			return true
		}
	}
	return false
}

// under is p relative to dir when p lies below it.
func under(dir, p string) (string, bool) {
	if dir == "." {
		return p, true
	}
	return strings.CutPrefix(p, dir+"/")
}

// info describes an overlay file or a directory only the overlay has.
type info struct {
	name string
	size int64
	dir  bool
}

func (i info) Name() string       { return i.name }
func (i info) Size() int64        { return i.size }
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.dir }
func (i info) Sys() any           { return nil }
func (i info) Type() fs.FileMode  { return i.Mode().Type() }

func (i info) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func (i info) Info() (fs.FileInfo, error) { return i, nil }

type memFile struct {
	info
	r *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	stat    fs.FileInfo
	o       *Overlay
	path    string
	entries []fs.DirEntry
	off     int
	listed  bool
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.stat, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errors.New("is a directory")}
}
func (d *memDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.listed {
		es, err := d.o.ReadDir(d.path)
		if err != nil {
			return nil, err
		}
		d.entries, d.listed = es, true
	}
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
