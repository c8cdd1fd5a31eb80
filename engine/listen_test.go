package engine

import "testing"

func TestListenOverlaps(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:80", "127.0.0.1:80", true},
		{"127.0.0.1:80", "127.0.0.1:81", false},
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{"localhost:80", "127.0.0.1:80", true},
		{"LocalHost:80", "[::1]:80", true},
		{"localhost:80", "127.0.0.2:80", false},
		{":80", "10.1.2.3:80", true},
		{"[::]:80", "127.0.0.1:80", true},
		{"0.0.0.0:80", "127.0.0.1:80", true},
		{"0.0.0.0:80", "localhost:80", true},
		{"0.0.0.0:80", "[::1]:80", false},
		{"0.0.0.0:80", "db.example:80", true},
		{"[::ffff:127.0.0.1]:80", "127.0.0.1:80", true},
		{"[fe80::1%eth0]:80", "[fe80::1]:80", true},
		{"db.example:80", "DB.example:80", true},
		{"db.example:80", "127.0.0.1:80", false},
		{"db.example:80", "web.example:80", false},
		{"not-an-address", "127.0.0.1:80", false},
	}
	for _, c := range cases {
		for _, pair := range [][2]string{{c.a, c.b}, {c.b, c.a}} {
			if got := ListenOverlaps(pair[0], pair[1]); got != c.want {
				t.Errorf("ListenOverlaps(%q, %q) = %v, want %v", pair[0], pair[1], got, c.want)
			}
		}
	}
}
