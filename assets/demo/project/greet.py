"""A tiny program for gearshift's demo: the scripted model reads, fixes and extends it."""


def greet(name):
    return "hello " + name


if __name__ == "__main__":
    import sys

    print(greet(sys.argv[1] if len(sys.argv) > 1 else "world"))
