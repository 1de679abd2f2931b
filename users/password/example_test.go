package password_test

import (
	"fmt"

	"github.com/opengate-iam/opengate/users/password"
)

func Example() {
	p := password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	encoded, err := password.Hash("correct horse battery staple", p)
	if err != nil {
		panic(err)
	}
	ok, _ := password.Verify(encoded, "correct horse battery staple")
	fmt.Println(ok, password.NeedsRehash(encoded, password.DefaultParams()))
	// Output: true true
}
