"""Studies: experiments that measure LiRA against the simple alternatives; not part of the library."""
