from adlstrace.cli.app import main

main()
