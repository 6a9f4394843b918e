// tlogcheck verifies a CRS Simulator log with Go's golang.org/x/mod/sumdb/note and sumdb/tlog,
// code this project did not write: the served checkpoint's signature, the tiles, inclusion of
// the given records (hashing the entries itself) and consistency with an older checkpoint.
//
//	tlogcheck -url http://host/log -vkey <vkey> -old old-checkpoint.txt -token <auditor token> 0 17 65536
//
// x/mod names tiles tile/8/<L>/<N> and tile/8/data/<N>; C2SP's tlog-tiles serves the same
// files as tile/<L>/<N> and tile/entries/<N>. Every result is checked against the signed
// root with CheckRecord/CheckTree: x/mod's TileHashReader alone does not authenticate every tile.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type server struct {
	base, token string
	levels      map[int]bool
}

func (s *server) get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", s.base+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Token "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body, nil
}

// c2sp converts x/mod's tile path to tlog-tiles'.
func c2sp(t tlog.Tile) string {
	return strings.Replace(strings.Replace(t.Path(), "tile/8/", "tile/", 1), "tile/data/", "tile/entries/", 1)
}

func (s *server) Height() int { return 8 }

func (s *server) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := s.get(c2sp(t))
		if err != nil {
			return nil, err
		}
		s.levels[t.L] = true
		out[i] = data
	}
	return out, nil
}

func (s *server) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func open(msg []byte, verifier note.Verifier) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, err
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("bad root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: h}}, nil
}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	base := flag.String("url", "", "the log's prefix, e.g. http://127.0.0.1:8000/log")
	vkey := flag.String("vkey", "", "the log's verifier key")
	oldPath := flag.String("old", "", "a file holding an older checkpoint of the log")
	token := flag.String("token", "", "an auditor's API token (entry bundles)")
	flag.Parse()

	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	s := &server{base: strings.TrimRight(*base, "/"), token: *token, levels: map[int]bool{}}
	msg, err := s.get("checkpoint")
	if err != nil {
		fail("%v", err)
	}
	latest, err := open(msg, verifier)
	if err != nil {
		fail("checkpoint: %v", err)
	}
	if latest.origin != verifier.Name() {
		fail("origin %q is not the key name %q", latest.origin, verifier.Name())
	}
	fmt.Printf("OK   checkpoint %s size %d: signature verified by x/mod/sumdb/note\n", latest.origin, latest.tree.N)

	reader := tlog.TileHashReader(latest.tree, s)
	root, err := tlog.TreeHash(latest.tree.N, reader)
	if err != nil || root != latest.tree.Hash {
		fail("tree hash from tiles: %v (%v)", root, err)
	}
	fmt.Printf("OK   the tiles hash to the signed root\n")

	for _, arg := range flag.Args() {
		index, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			fail("record %q: %v", arg, err)
		}
		proof, err := tlog.ProveRecord(latest.tree.N, index, reader)
		if err != nil {
			fail("prove record %d: %v", index, err)
		}
		tile := tlog.Tile{H: 8, L: -1, N: index / 256, W: 256}
		if (index/256+1)*256 > latest.tree.N {
			tile.W = int(latest.tree.N % 256)
		}
		bundle, err := s.get(c2sp(tile))
		if err != nil {
			fail("%v", err)
		}
		var entry []byte
		r := bytes.NewReader(bundle)
		for i := int64(0); i <= index%256; i++ {
			var length uint16
			if err := binary.Read(r, binary.BigEndian, &length); err != nil {
				fail("entry bundle %s: %v", c2sp(tile), err)
			}
			entry = make([]byte, length)
			if _, err := io.ReadFull(r, entry); err != nil {
				fail("entry bundle %s: %v", c2sp(tile), err)
			}
		}
		if err := tlog.CheckRecord(proof, latest.tree.N, latest.tree.Hash, index, tlog.RecordHash(entry)); err != nil {
			fail("record %d: %v", index, err)
		}
		fmt.Printf("OK   record %d: its entry is in the tree (CheckRecord)\n", index)
	}

	if *oldPath != "" {
		data, err := os.ReadFile(*oldPath)
		if err != nil {
			fail("%v", err)
		}
		old, err := open(data, verifier)
		if err != nil {
			fail("old checkpoint: %v", err)
		}
		proof, err := tlog.ProveTree(latest.tree.N, old.tree.N, reader)
		if err != nil {
			fail("prove tree: %v", err)
		}
		if err := tlog.CheckTree(proof, latest.tree.N, latest.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			fail("consistency %d -> %d: %v", old.tree.N, latest.tree.N, err)
		}
		fmt.Printf("OK   size %d extends size %d (CheckTree)\n", latest.tree.N, old.tree.N)
	}
	var levels []int
	for l := range s.levels {
		levels = append(levels, l)
	}
	sort.Ints(levels)
	fmt.Printf("OK   tile levels read: %v\n", levels)
}
