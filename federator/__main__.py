from federator.cli import entry

if __name__ == "__main__":  # spawned worker processes import this module too
    entry()
