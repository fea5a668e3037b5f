from stridepod.entry import main

main()
