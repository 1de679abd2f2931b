package iamcrypto_test

import (
	"fmt"

	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

func Example() {
	key, err := iamcrypto.ParseKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		panic(err)
	}
	sealer, err := iamcrypto.NewSealer(key)
	if err != nil {
		panic(err)
	}
	sealed, _ := sealer.Seal([]byte("client secret"), []byte("acme/4f1c"))
	plain, _ := sealer.Open(sealed, []byte("acme/4f1c"))
	fmt.Println(string(plain))
	_, err = sealer.Open(sealed, []byte("other/4f1c"))
	fmt.Println(err != nil)
	// Output:
	// client secret
	// true
}
