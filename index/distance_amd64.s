//go:build !purego

#include "textflag.h"

// Distance kernels for amd64 with AVX2 and FMA (see distance_amd64.go).
// Float kernels: four 8-lane accumulators over blocks of 32, one over
// blocks of 8, then a scalar FMA tail. Int8 kernel: 16 codes at a time
// zero-extended to int16 (VPMOVZXBW) and multiplied with the int16 weights
// into int32 pair sums (VPMADDWD); the int32 lanes are widened into int64
// lanes after at most 1,024 elements (each lane then holds at most
// 64·2·32768·255 < 2³¹), then a scalar tail; the sum is exact.

// The inner-product and int8 loops are written out in full in each
// function that uses them (the batch kernels repeat them per row) rather
// than shared through macros. Register use in those loops: SI and DI point
// at the two operands, CX counts the elements left; the float result ends
// in X0, the int8 result in AX. The batch kernels first prefetch every
// cache line of every row (PREFETCHT0), so the rows' misses overlap, then
// compute the rows in order.

// func dotAVX2(a, b *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ	a+0(FP), SI
	MOVQ	b+8(FP), DI
	MOVQ	n+16(FP), CX
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3
loop32d:
	CMPQ	CX, $32
	JLT	loop8d
	VMOVUPS	(SI), Y4
	VMOVUPS	32(SI), Y5
	VMOVUPS	64(SI), Y6
	VMOVUPS	96(SI), Y7
	VFMADD231PS	(DI), Y4, Y0
	VFMADD231PS	32(DI), Y5, Y1
	VFMADD231PS	64(DI), Y6, Y2
	VFMADD231PS	96(DI), Y7, Y3
	ADDQ	$128, SI
	ADDQ	$128, DI
	SUBQ	$32, CX
	JMP	loop32d
loop8d:
	CMPQ	CX, $8
	JLT	reduced
	VMOVUPS	(SI), Y4
	VFMADD231PS	(DI), Y4, Y0
	ADDQ	$32, SI
	ADDQ	$32, DI
	SUBQ	$8, CX
	JMP	loop8d
reduced:
	VADDPS	Y1, Y0, Y0
	VADDPS	Y3, Y2, Y2
	VADDPS	Y2, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VHADDPS	X0, X0, X0
	VHADDPS	X0, X0, X0
taild:
	TESTQ	CX, CX
	JEQ	doned
	VMOVSS	(SI), X1
	VFMADD231SS	(DI), X1, X0
	ADDQ	$4, SI
	ADDQ	$4, DI
	DECQ	CX
	JMP	taild
doned:
	VZEROUPPER
	MOVSS	X0, ret+24(FP)
	RET

// func l2AVX2(a, b *float32, n int) float32
TEXT ·l2AVX2(SB), NOSPLIT, $0-28
	MOVQ	a+0(FP), SI
	MOVQ	b+8(FP), DI
	MOVQ	n+16(FP), CX
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3

loop32:
	CMPQ	CX, $32
	JLT	loop8
	VMOVUPS	(SI), Y4
	VMOVUPS	32(SI), Y5
	VMOVUPS	64(SI), Y6
	VMOVUPS	96(SI), Y7
	VSUBPS	(DI), Y4, Y4
	VSUBPS	32(DI), Y5, Y5
	VSUBPS	64(DI), Y6, Y6
	VSUBPS	96(DI), Y7, Y7
	VFMADD231PS	Y4, Y4, Y0
	VFMADD231PS	Y5, Y5, Y1
	VFMADD231PS	Y6, Y6, Y2
	VFMADD231PS	Y7, Y7, Y3
	ADDQ	$128, SI
	ADDQ	$128, DI
	SUBQ	$32, CX
	JMP	loop32

loop8:
	CMPQ	CX, $8
	JLT	reduce
	VMOVUPS	(SI), Y4
	VSUBPS	(DI), Y4, Y4
	VFMADD231PS	Y4, Y4, Y0
	ADDQ	$32, SI
	ADDQ	$32, DI
	SUBQ	$8, CX
	JMP	loop8

reduce:
	VADDPS	Y1, Y0, Y0
	VADDPS	Y3, Y2, Y2
	VADDPS	Y2, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VHADDPS	X0, X0, X0
	VHADDPS	X0, X0, X0

tail:
	TESTQ	CX, CX
	JEQ	done
	VMOVSS	(SI), X1
	VSUBSS	(DI), X1, X1
	VFMADD231SS	X1, X1, X0
	ADDQ	$4, SI
	ADDQ	$4, DI
	DECQ	CX
	JMP	tail

done:
	VZEROUPPER
	MOVSS	X0, ret+24(FP)
	RET

// func dotU8AVX2(w *int16, c *uint8, n int) int64
TEXT ·dotU8AVX2(SB), NOSPLIT, $0-32
	MOVQ	w+0(FP), SI
	MOVQ	c+8(FP), DI
	MOVQ	n+16(FP), CX
	XORQ	AX, AX
	VPXOR	Y8, Y8, Y8
blku:
	CMPQ	CX, $16
	JLT	hsumu
	MOVQ	CX, DX
	ANDQ	$-16, DX
	CMPQ	DX, $1024
	JLE	blkgou
	MOVQ	$1024, DX
blkgou:
	SUBQ	DX, CX
	VPXOR	Y0, Y0, Y0
	VPXOR	Y1, Y1, Y1
in32u:
	CMPQ	DX, $32
	JLT	in16u
	VPMOVZXBW	(DI), Y2
	VPMOVZXBW	16(DI), Y3
	VPMADDWD	(SI), Y2, Y2
	VPMADDWD	32(SI), Y3, Y3
	VPADDD	Y2, Y0, Y0
	VPADDD	Y3, Y1, Y1
	ADDQ	$32, DI
	ADDQ	$64, SI
	SUBQ	$32, DX
	JMP	in32u
in16u:
	TESTQ	DX, DX
	JEQ	widenu
	VPMOVZXBW	(DI), Y2
	VPMADDWD	(SI), Y2, Y2
	VPADDD	Y2, Y0, Y0
	ADDQ	$16, DI
	ADDQ	$32, SI
widenu:
	VPADDD	Y1, Y0, Y0
	VEXTRACTI128	$1, Y0, X1
	VPMOVSXDQ	X0, Y2
	VPMOVSXDQ	X1, Y3
	VPADDQ	Y2, Y8, Y8
	VPADDQ	Y3, Y8, Y8
	JMP	blku
hsumu:
	VEXTRACTI128	$1, Y8, X1
	VPADDQ	X1, X8, X8
	VPSHUFD	$0x4e, X8, X1
	VPADDQ	X1, X8, X8
	VMOVQ	X8, AX
tailu:
	TESTQ	CX, CX
	JEQ	doneu
	MOVWQSX	(SI), BX
	MOVBQZX	(DI), DX
	IMULQ	DX, BX
	ADDQ	BX, AX
	ADDQ	$2, SI
	INCQ	DI
	DECQ	CX
	JMP	tailu
doneu:
	VZEROUPPER
	MOVQ	AX, ret+24(FP)
	RET

// func dotBatchAVX2(q, vecs *float32, dim int, ids *uint32, n int, out *float32)
TEXT ·dotBatchAVX2(SB), NOSPLIT, $0-48
	MOVQ	q+0(FP), R8
	MOVQ	vecs+8(FP), R9
	MOVQ	dim+16(FP), R10
	MOVQ	ids+24(FP), R11
	MOVQ	n+32(FP), R12
	MOVQ	out+40(FP), R13
	MOVQ	R10, R14
	SHLQ	$2, R14
	MOVQ	R11, BX
	MOVQ	R12, CX
pfrow:
	TESTQ	CX, CX
	JEQ	pfdone
	MOVL	(BX), AX
	IMULQ	R14, AX
	ADDQ	R9, AX
	XORQ	DX, DX
pfline:
	PREFETCHT0	(AX)(DX*1)
	ADDQ	$64, DX
	CMPQ	DX, R14
	JLT	pfline
	PREFETCHT0	-1(AX)(R14*1)
	ADDQ	$4, BX
	DECQ	CX
	JMP	pfrow
pfdone:

row:
	TESTQ	R12, R12
	JEQ	end
	MOVL	(R11), DI
	IMULQ	R14, DI
	ADDQ	R9, DI
	MOVQ	R8, SI
	MOVQ	R10, CX
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3
loop32b:
	CMPQ	CX, $32
	JLT	loop8b
	VMOVUPS	(SI), Y4
	VMOVUPS	32(SI), Y5
	VMOVUPS	64(SI), Y6
	VMOVUPS	96(SI), Y7
	VFMADD231PS	(DI), Y4, Y0
	VFMADD231PS	32(DI), Y5, Y1
	VFMADD231PS	64(DI), Y6, Y2
	VFMADD231PS	96(DI), Y7, Y3
	ADDQ	$128, SI
	ADDQ	$128, DI
	SUBQ	$32, CX
	JMP	loop32b
loop8b:
	CMPQ	CX, $8
	JLT	reduceb
	VMOVUPS	(SI), Y4
	VFMADD231PS	(DI), Y4, Y0
	ADDQ	$32, SI
	ADDQ	$32, DI
	SUBQ	$8, CX
	JMP	loop8b
reduceb:
	VADDPS	Y1, Y0, Y0
	VADDPS	Y3, Y2, Y2
	VADDPS	Y2, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VHADDPS	X0, X0, X0
	VHADDPS	X0, X0, X0
tailb:
	TESTQ	CX, CX
	JEQ	doneb
	VMOVSS	(SI), X1
	VFMADD231SS	(DI), X1, X0
	ADDQ	$4, SI
	ADDQ	$4, DI
	DECQ	CX
	JMP	tailb
doneb:
	MOVSS	X0, (R13)
	ADDQ	$4, R11
	ADDQ	$4, R13
	DECQ	R12
	JMP	row

end:
	VZEROUPPER
	RET

// func dotU8BatchAVX2(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
TEXT ·dotU8BatchAVX2(SB), NOSPLIT, $0-48
	MOVQ	w+0(FP), R8
	MOVQ	codes+8(FP), R9
	MOVQ	dim+16(FP), R10
	MOVQ	ids+24(FP), R11
	MOVQ	n+32(FP), R12
	MOVQ	out+40(FP), R13
	MOVQ	R10, R14
	MOVQ	R11, BX
	MOVQ	R12, CX
pfrow:
	TESTQ	CX, CX
	JEQ	pfdone
	MOVL	(BX), AX
	IMULQ	R14, AX
	ADDQ	R9, AX
	XORQ	DX, DX
pfline:
	PREFETCHT0	(AX)(DX*1)
	ADDQ	$64, DX
	CMPQ	DX, R14
	JLT	pfline
	PREFETCHT0	-1(AX)(R14*1)
	ADDQ	$4, BX
	DECQ	CX
	JMP	pfrow
pfdone:

row:
	TESTQ	R12, R12
	JEQ	end
	MOVL	(R11), DI
	IMULQ	R14, DI
	ADDQ	R9, DI
	MOVQ	R8, SI
	MOVQ	R10, CX
	XORQ	AX, AX
	VPXOR	Y8, Y8, Y8
blkb:
	CMPQ	CX, $16
	JLT	hsumb
	MOVQ	CX, DX
	ANDQ	$-16, DX
	CMPQ	DX, $1024
	JLE	blkgob
	MOVQ	$1024, DX
blkgob:
	SUBQ	DX, CX
	VPXOR	Y0, Y0, Y0
	VPXOR	Y1, Y1, Y1
in32b:
	CMPQ	DX, $32
	JLT	in16b
	VPMOVZXBW	(DI), Y2
	VPMOVZXBW	16(DI), Y3
	VPMADDWD	(SI), Y2, Y2
	VPMADDWD	32(SI), Y3, Y3
	VPADDD	Y2, Y0, Y0
	VPADDD	Y3, Y1, Y1
	ADDQ	$32, DI
	ADDQ	$64, SI
	SUBQ	$32, DX
	JMP	in32b
in16b:
	TESTQ	DX, DX
	JEQ	widenb
	VPMOVZXBW	(DI), Y2
	VPMADDWD	(SI), Y2, Y2
	VPADDD	Y2, Y0, Y0
	ADDQ	$16, DI
	ADDQ	$32, SI
widenb:
	VPADDD	Y1, Y0, Y0
	VEXTRACTI128	$1, Y0, X1
	VPMOVSXDQ	X0, Y2
	VPMOVSXDQ	X1, Y3
	VPADDQ	Y2, Y8, Y8
	VPADDQ	Y3, Y8, Y8
	JMP	blkb
hsumb:
	VEXTRACTI128	$1, Y8, X1
	VPADDQ	X1, X8, X8
	VPSHUFD	$0x4e, X8, X1
	VPADDQ	X1, X8, X8
	VMOVQ	X8, AX
tailb:
	TESTQ	CX, CX
	JEQ	doneb
	MOVWQSX	(SI), BX
	MOVBQZX	(DI), DX
	IMULQ	DX, BX
	ADDQ	BX, AX
	ADDQ	$2, SI
	INCQ	DI
	DECQ	CX
	JMP	tailb
doneb:
	MOVQ	AX, (R13)
	ADDQ	$4, R11
	ADDQ	$8, R13
	DECQ	R12
	JMP	row

end:
	VZEROUPPER
	RET

// AVX-512 (F for floats, BW for the int8 kernel) variants: 16 floats or
// 32 codes a step, the last partial step done with a masked load (which
// does not fault on the masked-off lanes), so there is no scalar tail.

// func dotAVX512(a, b *float32, n int) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-28
	MOVQ	a+0(FP), SI
	MOVQ	b+8(FP), DI
	MOVQ	n+16(FP), CX
	VXORPS	Z0, Z0, Z0
	VXORPS	Z1, Z1, Z1
	VXORPS	Z2, Z2, Z2
	VXORPS	Z3, Z3, Z3

loop64:
	CMPQ	CX, $64
	JLT	loop16
	VMOVUPS	(SI), Z4
	VMOVUPS	64(SI), Z5
	VMOVUPS	128(SI), Z6
	VMOVUPS	192(SI), Z7
	VFMADD231PS	(DI), Z4, Z0
	VFMADD231PS	64(DI), Z5, Z1
	VFMADD231PS	128(DI), Z6, Z2
	VFMADD231PS	192(DI), Z7, Z3
	ADDQ	$256, SI
	ADDQ	$256, DI
	SUBQ	$64, CX
	JMP	loop64

loop16:
	CMPQ	CX, $16
	JLT	tail
	VMOVUPS	(SI), Z4
	VFMADD231PS	(DI), Z4, Z1
	ADDQ	$64, SI
	ADDQ	$64, DI
	SUBQ	$16, CX
	JMP	loop16

tail:
	TESTQ	CX, CX
	JEQ	reduce
	MOVL	$1, AX
	SHLL	CX, AX
	DECL	AX
	KMOVW	AX, K1
	VMOVUPS.Z	(SI), K1, Z4
	VMOVUPS.Z	(DI), K1, Z5
	VFMADD231PS	Z5, Z4, Z2

reduce:
	VADDPS	Z1, Z0, Z0
	VADDPS	Z3, Z2, Z2
	VADDPS	Z2, Z0, Z0
	VEXTRACTF64X4	$1, Z0, Y1
	VADDPS	Y1, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VHADDPS	X0, X0, X0
	VHADDPS	X0, X0, X0
	VZEROUPPER
	MOVSS	X0, ret+24(FP)
	RET

// func dotU8AVX512(w *int16, c *uint8, n int) int64
TEXT ·dotU8AVX512(SB), NOSPLIT, $0-32
	MOVQ	w+0(FP), SI
	MOVQ	c+8(FP), DI
	MOVQ	n+16(FP), CX
	VPXORQ	Z8, Z8, Z8

blk:
	TESTQ	CX, CX
	JEQ	hsum
	MOVQ	CX, DX
	CMPQ	DX, $1024
	JLE	blkgo
	MOVQ	$1024, DX

blkgo:
	SUBQ	DX, CX
	VPXORQ	Z0, Z0, Z0
	VPXORQ	Z1, Z1, Z1

in64:
	CMPQ	DX, $64
	JLT	in32
	VPMOVZXBW	(DI), Z2
	VPMOVZXBW	32(DI), Z3
	VPMADDWD	(SI), Z2, Z2
	VPMADDWD	64(SI), Z3, Z3
	VPADDD	Z2, Z0, Z0
	VPADDD	Z3, Z1, Z1
	ADDQ	$64, DI
	ADDQ	$128, SI
	SUBQ	$64, DX
	JMP	in64

in32:
	CMPQ	DX, $32
	JLT	inTail
	VPMOVZXBW	(DI), Z2
	VPMADDWD	(SI), Z2, Z2
	VPADDD	Z2, Z0, Z0
	ADDQ	$32, DI
	ADDQ	$64, SI
	SUBQ	$32, DX

inTail:
	TESTQ	DX, DX
	JEQ	widen
	// Only the last block has a tail, so CX (elements after this block)
	// is 0 here and may hold the shift count.
	MOVL	$1, AX
	MOVQ	DX, CX
	SHLL	CX, AX
	XORQ	CX, CX
	DECL	AX
	KMOVD	AX, K1
	VPMOVZXBW.Z	(DI), K1, Z2
	VMOVDQU16.Z	(SI), K1, Z3
	VPMADDWD	Z3, Z2, Z2
	VPADDD	Z2, Z1, Z1
	ADDQ	DX, DI
	ADDQ	DX, SI
	ADDQ	DX, SI

widen:
	VPADDD	Z1, Z0, Z0
	VEXTRACTI64X4	$1, Z0, Y1
	VPMOVSXDQ	Y0, Z2
	VPMOVSXDQ	Y1, Z3
	VPADDQ	Z2, Z8, Z8
	VPADDQ	Z3, Z8, Z8
	JMP	blk

hsum:
	VEXTRACTI64X4	$1, Z8, Y1
	VPADDQ	Y1, Y8, Y8
	VEXTRACTI128	$1, Y8, X1
	VPADDQ	X1, X8, X8
	VPSHUFD	$0x4e, X8, X1
	VPADDQ	X1, X8, X8
	VMOVQ	X8, AX
	VZEROUPPER
	MOVQ	AX, ret+24(FP)
	RET

// func l2AVX512(a, b *float32, n int) float32
TEXT ·l2AVX512(SB), NOSPLIT, $0-28
	MOVQ	a+0(FP), SI
	MOVQ	b+8(FP), DI
	MOVQ	n+16(FP), CX
	VXORPS	Z0, Z0, Z0
	VXORPS	Z1, Z1, Z1
	VXORPS	Z2, Z2, Z2
	VXORPS	Z3, Z3, Z3

loop64:
	CMPQ	CX, $64
	JLT	loop16
	VMOVUPS	(SI), Z4
	VMOVUPS	64(SI), Z5
	VMOVUPS	128(SI), Z6
	VMOVUPS	192(SI), Z7
	VSUBPS	(DI), Z4, Z4
	VFMADD231PS	Z4, Z4, Z0
	VSUBPS	64(DI), Z5, Z5
	VFMADD231PS	Z5, Z5, Z1
	VSUBPS	128(DI), Z6, Z6
	VFMADD231PS	Z6, Z6, Z2
	VSUBPS	192(DI), Z7, Z7
	VFMADD231PS	Z7, Z7, Z3
	ADDQ	$256, SI
	ADDQ	$256, DI
	SUBQ	$64, CX
	JMP	loop64

loop16:
	CMPQ	CX, $16
	JLT	tail
	VMOVUPS	(SI), Z4
	VSUBPS	(DI), Z4, Z4
	VFMADD231PS	Z4, Z4, Z1
	ADDQ	$64, SI
	ADDQ	$64, DI
	SUBQ	$16, CX
	JMP	loop16

tail:
	TESTQ	CX, CX
	JEQ	reduce
	MOVL	$1, AX
	SHLL	CX, AX
	DECL	AX
	KMOVW	AX, K1
	VMOVUPS.Z	(SI), K1, Z4
	VMOVUPS.Z	(DI), K1, Z5
	VSUBPS	Z5, Z4, Z4
	VFMADD231PS	Z4, Z4, Z2

reduce:
	VADDPS	Z1, Z0, Z0
	VADDPS	Z3, Z2, Z2
	VADDPS	Z2, Z0, Z0
	VEXTRACTF64X4	$1, Z0, Y1
	VADDPS	Y1, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VHADDPS	X0, X0, X0
	VHADDPS	X0, X0, X0
	VZEROUPPER
	MOVSS	X0, ret+24(FP)
	RET

// func dotBatchAVX512(q, vecs *float32, dim int, ids *uint32, n int, out *float32)
TEXT ·dotBatchAVX512(SB), NOSPLIT, $0-48
	MOVQ	q+0(FP), R8
	MOVQ	vecs+8(FP), R9
	MOVQ	dim+16(FP), R10
	MOVQ	ids+24(FP), R11
	MOVQ	n+32(FP), R12
	MOVQ	out+40(FP), R13
	MOVQ	R10, R14
	SHLQ	$2, R14
	MOVQ	R11, BX
	MOVQ	R12, CX

pfrow:
	TESTQ	CX, CX
	JEQ	row
	MOVL	(BX), AX
	IMULQ	R14, AX
	ADDQ	R9, AX
	XORQ	DX, DX

pfline:
	PREFETCHT0	(AX)(DX*1)
	ADDQ	$64, DX
	CMPQ	DX, R14
	JLT	pfline
	PREFETCHT0	-1(AX)(R14*1)
	ADDQ	$4, BX
	DECQ	CX
	JMP	pfrow

row:
	TESTQ	R12, R12
	JEQ	end
	MOVL	(R11), DI
	IMULQ	R14, DI
	ADDQ	R9, DI
	MOVQ	R8, SI
	MOVQ	R10, CX
	VXORPS	Z0, Z0, Z0
	VXORPS	Z1, Z1, Z1
	VXORPS	Z2, Z2, Z2
	VXORPS	Z3, Z3, Z3

loop64B:
	CMPQ	CX, $64
	JLT	loop16B
	VMOVUPS	(SI), Z4
	VMOVUPS	64(SI), Z5
	VMOVUPS	128(SI), Z6
	VMOVUPS	192(SI), Z7
	VFMADD231PS	(DI), Z4, Z0
	VFMADD231PS	64(DI), Z5, Z1
	VFMADD231PS	128(DI), Z6, Z2
	VFMADD231PS	192(DI), Z7, Z3
	ADDQ	$256, SI
	ADDQ	$256, DI
	SUBQ	$64, CX
	JMP	loop64B

loop16B:
	CMPQ	CX, $16
	JLT	tailB
	VMOVUPS	(SI), Z4
	VFMADD231PS	(DI), Z4, Z1
	ADDQ	$64, SI
	ADDQ	$64, DI
	SUBQ	$16, CX
	JMP	loop16B

tailB:
	TESTQ	CX, CX
	JEQ	reduceB
	MOVL	$1, AX
	SHLL	CX, AX
	DECL	AX
	KMOVW	AX, K1
	VMOVUPS.Z	(SI), K1, Z4
	VMOVUPS.Z	(DI), K1, Z5
	VFMADD231PS	Z5, Z4, Z2

reduceB:
	VADDPS	Z1, Z0, Z0
	VADDPS	Z3, Z2, Z2
	VADDPS	Z2, Z0, Z0
	VEXTRACTF64X4	$1, Z0, Y1
	VADDPS	Y1, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VHADDPS	X0, X0, X0
	VHADDPS	X0, X0, X0
	MOVSS	X0, (R13)
	ADDQ	$4, R11
	ADDQ	$4, R13
	DECQ	R12
	JMP	row

end:
	VZEROUPPER
	RET

// func dotU8BatchAVX512(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
TEXT ·dotU8BatchAVX512(SB), NOSPLIT, $0-48
	MOVQ	w+0(FP), R8
	MOVQ	codes+8(FP), R9
	MOVQ	dim+16(FP), R10
	MOVQ	ids+24(FP), R11
	MOVQ	n+32(FP), R12
	MOVQ	out+40(FP), R13
	MOVQ	R10, R14
	MOVQ	R11, BX
	MOVQ	R12, CX

pfrow:
	TESTQ	CX, CX
	JEQ	row
	MOVL	(BX), AX
	IMULQ	R14, AX
	ADDQ	R9, AX
	XORQ	DX, DX

pfline:
	PREFETCHT0	(AX)(DX*1)
	ADDQ	$64, DX
	CMPQ	DX, R14
	JLT	pfline
	PREFETCHT0	-1(AX)(R14*1)
	ADDQ	$4, BX
	DECQ	CX
	JMP	pfrow

row:
	TESTQ	R12, R12
	JEQ	end
	MOVL	(R11), DI
	IMULQ	R14, DI
	ADDQ	R9, DI
	MOVQ	R8, SI
	MOVQ	R10, CX
	VPXORQ	Z8, Z8, Z8

blkB:
	TESTQ	CX, CX
	JEQ	hsumB
	MOVQ	CX, DX
	CMPQ	DX, $1024
	JLE	blkgoB
	MOVQ	$1024, DX

blkgoB:
	SUBQ	DX, CX
	VPXORQ	Z0, Z0, Z0
	VPXORQ	Z1, Z1, Z1

in64B:
	CMPQ	DX, $64
	JLT	in32B
	VPMOVZXBW	(DI), Z2
	VPMOVZXBW	32(DI), Z3
	VPMADDWD	(SI), Z2, Z2
	VPMADDWD	64(SI), Z3, Z3
	VPADDD	Z2, Z0, Z0
	VPADDD	Z3, Z1, Z1
	ADDQ	$64, DI
	ADDQ	$128, SI
	SUBQ	$64, DX
	JMP	in64B

in32B:
	CMPQ	DX, $32
	JLT	inTailB
	VPMOVZXBW	(DI), Z2
	VPMADDWD	(SI), Z2, Z2
	VPADDD	Z2, Z0, Z0
	ADDQ	$32, DI
	ADDQ	$64, SI
	SUBQ	$32, DX

inTailB:
	TESTQ	DX, DX
	JEQ	widenB
	// Only the last block has a tailB, so CX (elements after this block)
	// is 0 here and may hold the shift count.
	MOVL	$1, AX
	MOVQ	DX, CX
	SHLL	CX, AX
	XORQ	CX, CX
	DECL	AX
	KMOVD	AX, K1
	VPMOVZXBW.Z	(DI), K1, Z2
	VMOVDQU16.Z	(SI), K1, Z3
	VPMADDWD	Z3, Z2, Z2
	VPADDD	Z2, Z1, Z1
	ADDQ	DX, DI
	ADDQ	DX, SI
	ADDQ	DX, SI

widenB:
	VPADDD	Z1, Z0, Z0
	VEXTRACTI64X4	$1, Z0, Y1
	VPMOVSXDQ	Y0, Z2
	VPMOVSXDQ	Y1, Z3
	VPADDQ	Z2, Z8, Z8
	VPADDQ	Z3, Z8, Z8
	JMP	blkB

hsumB:
	VEXTRACTI64X4	$1, Z8, Y1
	VPADDQ	Y1, Y8, Y8
	VEXTRACTI128	$1, Y8, X1
	VPADDQ	X1, X8, X8
	VPSHUFD	$0x4e, X8, X1
	VPADDQ	X1, X8, X8
	VMOVQ	X8, AX
	MOVQ	AX, (R13)
	ADDQ	$4, R11
	ADDQ	$8, R13
	DECQ	R12
	JMP	row

end:
	VZEROUPPER
	RET

// I32SUM_Y0_STORE adds the eight int32 lanes of Y0, stores the sum
// sign-extended at (R13) and steps the id (R11) and output (R13) pointers:
// the end of a row in both int32-lane int8 kernels. It clobbers X1 and AX.
#define I32SUM_Y0_STORE \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD X1, X0, X0; \
	VPSHUFD $0x4e, X0, X1; \
	VPADDD X1, X0, X0; \
	VPSHUFD $0xb1, X0, X1; \
	VPADDD X1, X0, X0; \
	VMOVD X0, AX; \
	MOVLQSX AX, AX; \
	MOVQ AX, (R13); \
	ADDQ $4, R11; \
	ADDQ $8, R13

// func dotU8BatchShortAVX2(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
// dotU8BatchAVX2 for dim a multiple of 32 and at most 256, summed and
// reduced in int32 lanes (exact there: see dotU8BatchShortAVX512). It does
// not prefetch: its caller runs prefetchRowsAsm first.
TEXT ·dotU8BatchShortAVX2(SB), NOSPLIT, $0-48
	MOVQ	w+0(FP), R8
	MOVQ	codes+8(FP), R9
	MOVQ	dim+16(FP), R10
	MOVQ	ids+24(FP), R11
	MOVQ	n+32(FP), R12
	MOVQ	out+40(FP), R13

s2row:
	TESTQ	R12, R12
	JEQ	s2end
	MOVL	(R11), DI
	IMULQ	R10, DI
	ADDQ	R9, DI
	MOVQ	R8, SI
	MOVQ	R10, CX
	VPXOR	Y0, Y0, Y0
	VPXOR	Y1, Y1, Y1

s2in32:
	VPMOVZXBW	(DI), Y2
	VPMOVZXBW	16(DI), Y3
	VPMADDWD	(SI), Y2, Y2
	VPMADDWD	32(SI), Y3, Y3
	VPADDD	Y2, Y0, Y0
	VPADDD	Y3, Y1, Y1
	ADDQ	$32, DI
	ADDQ	$64, SI
	SUBQ	$32, CX
	JNE	s2in32
	VPADDD	Y1, Y0, Y0
	I32SUM_Y0_STORE
	DECQ	R12
	JMP	s2row

s2end:
	VZEROUPPER
	RET

// func dotU8BatchShortAVX512(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
// dotU8BatchAVX512 for dim a multiple of 32 and at most 256: then every
// partial sum fits in an int32 (|w| ≤ 32768 and c ≤ 255, so
// 256 × 255 × 32768 < 2³¹), and a row is summed and reduced in int32 lanes
// without the general kernel's blocks and widening to int64. The sum is
// the same exact integer. It does not prefetch: its caller runs
// prefetchRowsAsm first.
TEXT ·dotU8BatchShortAVX512(SB), NOSPLIT, $0-48
	MOVQ	w+0(FP), R8
	MOVQ	codes+8(FP), R9
	MOVQ	dim+16(FP), R10
	MOVQ	ids+24(FP), R11
	MOVQ	n+32(FP), R12
	MOVQ	out+40(FP), R13

srow:
	TESTQ	R12, R12
	JEQ	send
	MOVL	(R11), DI
	IMULQ	R10, DI
	ADDQ	R9, DI
	MOVQ	R8, SI
	MOVQ	R10, CX
	VPXORD	Z0, Z0, Z0
	VPXORD	Z1, Z1, Z1

s64:
	CMPQ	CX, $64
	JLT	s32
	VPMOVZXBW	(DI), Z2
	VPMOVZXBW	32(DI), Z3
	VPMADDWD	(SI), Z2, Z2
	VPMADDWD	64(SI), Z3, Z3
	VPADDD	Z2, Z0, Z0
	VPADDD	Z3, Z1, Z1
	ADDQ	$64, DI
	ADDQ	$128, SI
	SUBQ	$64, CX
	JMP	s64

s32:
	TESTQ	CX, CX
	JEQ	sred
	VPMOVZXBW	(DI), Z2
	VPMADDWD	(SI), Z2, Z2
	VPADDD	Z2, Z0, Z0

sred:
	VPADDD	Z1, Z0, Z0
	VEXTRACTI64X4	$1, Z0, Y1
	VPADDD	Y1, Y0, Y0
	I32SUM_Y0_STORE
	DECQ	R12
	JMP	srow

send:
	VZEROUPPER
	RET

// func prefetchRowsAsm(base unsafe.Pointer, rowBytes int, ids *uint32, n int)
// Prefetches every cache line of the rows ids[0..n) of rowBytes bytes at
// base (PREFETCHT0; nothing is loaded into registers, so no instruction
// waits for memory).
TEXT ·prefetchRowsAsm(SB), NOSPLIT, $0-32
	MOVQ	base+0(FP), R9
	MOVQ	rowBytes+8(FP), R14
	MOVQ	ids+16(FP), BX
	MOVQ	n+24(FP), CX

pfrow:
	TESTQ	CX, CX
	JEQ	pfdone
	MOVL	(BX), AX
	IMULQ	R14, AX
	ADDQ	R9, AX
	XORQ	DX, DX

pfline:
	PREFETCHT0	(AX)(DX*1)
	ADDQ	$64, DX
	CMPQ	DX, R14
	JLT	pfline
	PREFETCHT0	-1(AX)(R14*1)
	ADDQ	$4, BX
	DECQ	CX
	JMP	pfrow

pfdone:
	RET
