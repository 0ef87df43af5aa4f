// smap_amd64.h: STAC and CLAC (0f 01 cb, 0f 01 ca) when SMAP is on
// (smap.go): they are invalid instructions on a CPU without it. They
// clobber only the flags. "4(PC)" skips the three BYTE instructions.

#define STAC_IF_SMAP CMPB ·smapOn(SB), $0; JEQ 4(PC); BYTE $0x0f; BYTE $0x01; BYTE $0xcb
#define CLAC_IF_SMAP CMPB ·smapOn(SB), $0; JEQ 4(PC); BYTE $0x0f; BYTE $0x01; BYTE $0xca
