from .control import main

main()
