"""Generated resident identity numbers (GB 11643) for scripts and tests: a real county
code, a random birth date and sequence number, a valid check digit (ISO 7064 MOD 11-2);
never a real person's. The Swift tests' counterpart is StationTesting's TestIdentities."""

COUNTIES = ["330802", "330803", "330822", "330824", "330825", "330881", "330102", "330106", "110105", "440106", "440305", "510104"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_digit(body):
    """The 18th character of a number whose first 17 are `body`."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


def identity(rng, county=None):
    """A valid number from `rng` (random.Random), in `county` or one of COUNTIES."""
    body = "%s%04d%02d%02d%03d" % (county or rng.choice(COUNTIES), rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 999))
    return body + check_digit(body)
