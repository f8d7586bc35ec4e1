from opendata_sozial.cli import main

main()
