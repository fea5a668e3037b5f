from stridepod.cli import main

main()
