"""Client addresses as the gateway's limits count them."""

from __future__ import annotations

import ipaddress

LONGEST: int = 100


def address_key(address: str) -> str:
    """The address as a limit counts it: IPv4 as is (also when IPv4-mapped), IPv6 by its /64,
    which one client usually holds whole; anything else cut to a bounded length."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:LONGEST]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
