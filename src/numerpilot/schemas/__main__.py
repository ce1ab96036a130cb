from numerpilot.schemas.files import write_schemas

for path in write_schemas():
    print(path)
